"""Sanctions lists: readers for UN, OFAC and FollowTheMoney files, and their storage.

``read_list(path)`` recognises the format; every reader returns a
:class:`~watchkeeper.context.sanctions.model.ListFile` of
:class:`~watchkeeper.context.sanctions.model.ListEntity`.
"""

from watchkeeper.context.sanctions.model import LIST_ENTITIES, ListEntity, ListFile
from watchkeeper.context.sanctions.read import detect_format, read_list
from watchkeeper.context.sanctions.store import add_list, current_entities, list_versions

__all__ = [
    "LIST_ENTITIES",
    "ListEntity",
    "ListFile",
    "add_list",
    "current_entities",
    "detect_format",
    "list_versions",
    "read_list",
]
