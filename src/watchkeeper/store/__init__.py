"""Storage: the workspace folder (Parquet partitions + a DuckDB file)."""

from watchkeeper.store.workspace import Workspace

__all__ = ["Workspace"]
