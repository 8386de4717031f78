"""Writers: canonical tables into the formats partners already use.

MarineCadastre CSV (:func:`write_marinecadastre_csv`), RFC 7946 GeoJSON
(:func:`write_geojson`) and canonical Parquet (:func:`write_positions_parquet`); events and
tracks of a store in every supported format (:func:`export_events`, :func:`export_tracks`).
"""

from watchkeeper.publish.exports import export_events, export_tracks
from watchkeeper.publish.geojson import write_geojson
from watchkeeper.publish.marinecadastre import write_marinecadastre_csv
from watchkeeper.publish.parquet import write_positions_parquet

__all__ = [
    "export_events",
    "export_tracks",
    "write_geojson",
    "write_marinecadastre_csv",
    "write_positions_parquet",
]
