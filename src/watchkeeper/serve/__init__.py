"""The coalition service: partners publish, receive and act on alerts, each seeing only what
is released to it (``watchkeeper serve``, docs/service.md).

Layers: ``routers`` (FastAPI, thin) over domain modules free of FastAPI: ``partners``
(keys), ``markings`` (TLP, rel_to), ``publish`` (snapshots into the service), ``query``
(the release-joined reads), ``feedback``, ``audit`` (hash-chained log), ``zones``; the
service's own tables in ``db`` (SQLite beside the workspace).
"""

from __future__ import annotations

from watchkeeper.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":  # FastAPI is imported only when the app is built
        from watchkeeper.serve.app import create_app

        return create_app
    raise AttributeError(name)
