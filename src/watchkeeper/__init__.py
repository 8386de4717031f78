"""watchkeeper: find illicit ship-to-ship transfers and sanctions evasion in AIS data.

The public surface is listed in ``__all__`` and pinned by a test.
"""

from watchkeeper.errors import (
    ConfigError,
    FormatError,
    InputError,
    LandMaskError,
    NotFoundError,
    StrictInputError,
    WatchkeeperError,
    WorkspaceError,
    WorkspaceLockedError,
)
from watchkeeper.ingest.csv import read_csv
from watchkeeper.ingest.jsonl import read_json
from watchkeeper.ingest.nmea import read_nmea
from watchkeeper.ingest.parquet import read_parquet
from watchkeeper.ingest.pipeline import FileSummary, ingest_files
from watchkeeper.schema import Decoded
from watchkeeper.store import MemoryStore, Store, Workspace

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Decoded",
    "FileSummary",
    "FormatError",
    "InputError",
    "LandMaskError",
    "MemoryStore",
    "NotFoundError",
    "Store",
    "StrictInputError",
    "WatchkeeperError",
    "Workspace",
    "WorkspaceError",
    "WorkspaceLockedError",
    "__version__",
    "ingest_files",
    "read_csv",
    "read_json",
    "read_nmea",
    "read_parquet",
]
