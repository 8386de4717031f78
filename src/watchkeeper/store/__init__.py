"""Storage: the :class:`Store` interface, the workspace folder (Parquet partitions + a
DuckDB file) and an in-memory store. All SQL over stored data lives in this package."""

from watchkeeper.store.base import BBox, LayerWriter, Overview, Store
from watchkeeper.store.memory import MemoryStore
from watchkeeper.store.workspace import Workspace

__all__ = ["BBox", "LayerWriter", "MemoryStore", "Overview", "Store", "Workspace"]
