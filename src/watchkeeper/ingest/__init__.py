"""Readers: AIS sources into canonical ``positions``, ``identities`` and ``rejects``."""

from watchkeeper.ingest.csv import read_csv
from watchkeeper.ingest.jsonl import read_json
from watchkeeper.ingest.layouts import PRESETS
from watchkeeper.ingest.nmea import read_nmea
from watchkeeper.ingest.parquet import read_parquet
from watchkeeper.ingest.pipeline import FileSummary, ingest_files

__all__ = [
    "PRESETS",
    "FileSummary",
    "ingest_files",
    "read_csv",
    "read_json",
    "read_nmea",
    "read_parquet",
]
