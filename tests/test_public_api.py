"""The public surface is explicit and stable."""

import watchkeeper


def test_all_names_exist() -> None:
    for name in watchkeeper.__all__:
        assert hasattr(watchkeeper, name), name


def test_one_exception_root() -> None:
    for name in ("ConfigError", "FormatError", "InputError", "StrictInputError", "WorkspaceError"):
        assert issubclass(getattr(watchkeeper, name), watchkeeper.WatchkeeperError)
