"""The exception tree: one root, an HTTP status per class, and the CLI's exit code."""

from __future__ import annotations

import inspect

import pytest

from watchkeeper import errors
from watchkeeper.context import land

_STATUS = {
    "WatchkeeperError": 500,
    "InputError": 400,
    "StrictInputError": 400,
    "FormatError": 400,
    "ConfigError": 400,
    "NotFoundError": 404,
    "LandMaskError": 500,
    "WorkspaceError": 409,
    "WorkspaceLockedError": 423,
}


def test_every_error_class_has_its_http_status() -> None:
    classes = {
        name: cls
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.WatchkeeperError)
    }
    assert sorted(classes) == sorted(errors.__all__) == sorted(_STATUS)
    assert {name: cls.http_status for name, cls in classes.items()} == _STATUS


def test_land_mask_error_is_in_the_tree() -> None:
    assert land.LandMaskError is errors.LandMaskError
    assert issubclass(errors.LandMaskError, errors.WatchkeeperError)


def test_not_found_is_a_lookup_error() -> None:
    with pytest.raises(LookupError):
        raise errors.NotFoundError("no event 'x'")
