"""watchkeeper: find illicit ship-to-ship transfers and sanctions evasion in AIS data.

The public surface is listed in ``__all__`` and pinned by a test.
"""

from watchkeeper.errors import (
    ConfigError,
    FormatError,
    InputError,
    StrictInputError,
    WatchkeeperError,
    WorkspaceError,
)
from watchkeeper.schema import Decoded
from watchkeeper.store import Workspace

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Decoded",
    "FormatError",
    "InputError",
    "StrictInputError",
    "WatchkeeperError",
    "Workspace",
    "WorkspaceError",
    "__version__",
]
