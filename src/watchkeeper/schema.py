"""Data contracts between the pipeline stages (DESIGN §2): Arrow schemas and shared codes.

Every stage reads and writes these tables; column names are the contract, so they are
declared once here. Times are ``timestamp[ms, tz=UTC]``; positions are WGS84 degrees.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import IntFlag, StrEnum

import pyarrow as pa

__all__ = [
    "EVENTS",
    "EVENT_TYPES",
    "IDENTITIES",
    "POSITIONS",
    "REJECTS",
    "TIMESTAMP",
    "VESSELS",
    "Decoded",
    "EventType",
    "Quality",
    "RejectReason",
    "empty",
]

TIMESTAMP = pa.timestamp("ms", tz="UTC")


class Quality(IntFlag):
    """Bit flags in ``positions.quality``: what was noticed about a kept row."""

    OK = 0
    FIELD_OUT_OF_RANGE = 1  # a speed/course/heading outside its range was set to null
    TIME_ASSUMED = 2  # time given by the user (--time) or by file order, not by the source
    DUPLICATE = 4  # the same report was seen from another receiver
    COARSE = 8  # long-range (type 27) position, 1/10 minute resolution


class RejectReason(StrEnum):
    """Why a record was quarantined in ``rejects`` instead of being kept."""

    BAD_CHECKSUM = "bad_checksum"
    MALFORMED_SENTENCE = "malformed_sentence"  # not NMEA framing, wrong field count
    BROKEN_MULTIPART = "broken_multipart"  # a fragment whose group never completed
    UNDECODABLE = "undecodable"  # payload that does not decode (bad armour, too short)
    NO_TIMESTAMP = "no_timestamp"  # no usable time (see --time)
    BAD_TIMESTAMP = "bad_timestamp"  # a time that cannot be parsed or is impossible
    POSITION_UNAVAILABLE = "position_unavailable"  # lat 91 / lon 181: "not available"
    POSITION_OUT_OF_RANGE = "position_out_of_range"  # |lat| > 90 or |lon| > 180
    NULL_ISLAND = "null_island"  # exactly 0, 0: an unset receiver, not a ship
    BAD_MMSI = "bad_mmsi"  # missing, zero, or more than 9 digits
    MALFORMED_ROW = "malformed_row"  # a CSV row that cannot be parsed
    TRUNCATED = "truncated"  # the file ends in the middle of a record


POSITIONS = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("ts", TIMESTAMP, nullable=False),
        pa.field("lat", pa.float64(), nullable=False),
        pa.field("lon", pa.float64(), nullable=False),
        pa.field("sog_kn", pa.float32()),
        pa.field("cog_deg", pa.float32()),
        pa.field("heading_deg", pa.int16()),
        pa.field("nav_status", pa.int8()),
        pa.field("msg_type", pa.int8()),
        pa.field("ais_class", pa.string()),
        pa.field("source", pa.string()),
        pa.field("quality", pa.int16()),
        pa.field("line", pa.int64()),  # line or row number in its source file; null: unknown
    ]
)

IDENTITIES = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("ts", TIMESTAMP, nullable=False),
        pa.field("imo", pa.int32()),
        pa.field("name", pa.string()),
        pa.field("callsign", pa.string()),
        pa.field("ship_type", pa.int16()),
        pa.field("length_m", pa.float32()),
        pa.field("beam_m", pa.float32()),
        pa.field("draught_m", pa.float32()),
        pa.field("destination", pa.string()),
        pa.field("eta", pa.string()),
        pa.field("msg_type", pa.int8()),
        pa.field("source", pa.string()),
        pa.field("line", pa.int64()),  # line or row number in its source file; null: unknown
        # A row is a run of identical reports of one MMSI within one UTC day (docs/ingest.md,
        # "One identity model"): ts is the first report, ts_last the last, n_reports how many
        # (distinct seconds). Null (files written before runs existed): one report at ts.
        pa.field("ts_last", TIMESTAMP),
        pa.field("n_reports", pa.int32()),
    ]
)

REJECTS = pa.schema(
    [
        pa.field("file", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("raw", pa.string()),
    ]
)


class EventType(StrEnum):
    """The ``type`` of an event row: one per detector (``watchkeeper.detect.registry``)."""

    ENCOUNTER = "encounter"
    DARK_STS = "dark_sts"
    LOITERING = "loitering"
    AIS_GAP = "ais_gap"
    SPOOFING = "spoofing"
    IDENTITY_CHANGE = "identity_change"
    DRAUGHT_CHANGE = "draught_change"
    PORT_VISIT = "port_visit"
    ZONE_ENTRY = "zone_entry"


#: Every event type, as plain strings, in the registry's order.
EVENT_TYPES: tuple[str, ...] = tuple(str(t) for t in EventType)

EVENTS = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("other_mmsi", pa.int64()),
        pa.field("start", TIMESTAMP, nullable=False),
        pa.field("end", TIMESTAMP),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("confidence", pa.float32()),
        pa.field("risk", pa.float32()),
        pa.field("details", pa.string()),  # JSON
        pa.field("evidence", pa.string()),  # JSON
    ]
)

VESSELS = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("imo", pa.int32()),
        pa.field("name", pa.string()),
        pa.field("callsign", pa.string()),
        pa.field("flag", pa.string()),
        pa.field("ship_type", pa.int16()),
        pa.field("first_seen", TIMESTAMP),
        pa.field("last_seen", TIMESTAMP),
        pa.field("n_positions", pa.int64()),
        pa.field("names", pa.list_(pa.string())),
        pa.field("imos", pa.list_(pa.int32())),
        pa.field("callsigns", pa.list_(pa.string())),
        pa.field("sanctions_match", pa.string()),
        pa.field("sanctions_score", pa.float32()),
        pa.field("risk", pa.float32()),
        pa.field("reasons", pa.string()),  # JSON list of {reason, weight, event_ids}
    ]
)


def empty(schema: pa.Schema) -> pa.Table:
    """An empty table of ``schema``."""
    return schema.empty_table()


@dataclass
class Decoded:
    """What a reader returns: kept rows, quarantined rows, and counts of what was skipped.

    ``skipped`` counts input that is valid but not ours to keep (other NMEA sentences,
    message types that carry neither position nor identity, comments) by kind.
    """

    positions: pa.Table = field(default_factory=lambda: empty(POSITIONS))
    identities: pa.Table = field(default_factory=lambda: empty(IDENTITIES))
    rejects: pa.Table = field(default_factory=lambda: empty(REJECTS))
    skipped: Counter[str] = field(default_factory=Counter)

    def reject_counts(self) -> Counter[str]:
        """Rejected records by reason."""
        return Counter(self.rejects.column("reason").to_pylist())

    @classmethod
    def concat(cls, parts: list[Decoded]) -> Decoded:
        """Join chunks into one result (schemas are identical by construction)."""
        if not parts:
            return cls()
        skipped: Counter[str] = Counter()
        for p in parts:
            skipped.update(p.skipped)
        return cls(
            positions=pa.concat_tables([p.positions for p in parts]),
            identities=pa.concat_tables([p.identities for p in parts]),
            rejects=pa.concat_tables([p.rejects for p in parts]),
            skipped=skipped,
        )
