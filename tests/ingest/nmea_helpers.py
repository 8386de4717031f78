"""Builders for crafted NMEA lines in tests: sentences and tag blocks with valid checksums."""

from __future__ import annotations

from typing import Any

from pyais.encode import encode_dict

from watchkeeper.ingest.nmea_framing import nmea_checksum

#: Every real NMEA file in ``../shared/data/nmea`` (relative to that folder).
NMEA_FILES = [
    "kystverket/Ais1000Lines.nm4",
    "libais/tagblock.nmea",
    "libais/test.aivdm",
    "libais/typeexamples.nmea",
    "pyais/gatehouse.nmea",
    "pyais/mixed.txt",
    "pyais/nmea_data_sample.txt",
    "pyais/timestamped.ais",
]


def sentence(
    payload: str,
    *,
    fill: int = 0,
    total: int = 1,
    part: int = 1,
    seq: str = "",
    channel: str = "A",
    talker: str = "AI",
    trailer: str = "",
) -> str:
    """``!xxVDM,...*hh`` with a correct checksum and an optional trailer (``,b0036,127241``)."""
    body = f"{talker}VDM,{total},{part},{seq},{channel},{payload},{fill}"
    return f"!{body}*{nmea_checksum(body):02X}{trailer}"


def tagged(fields: str, line: str) -> str:
    """Prefix ``line`` with a tag block of ``fields`` (``s:x,c:123``) and its checksum."""
    return f"\\{fields}*{nmea_checksum(fields):02X}\\{line}"


def payload_of(msg: dict[str, Any]) -> tuple[str, int]:
    """The armoured payload and fill bits of one message, encoded by pyais."""
    lines = encode_dict(msg, talker_id="AI", sentence_type="VDM")
    parts = [line.split("*")[0].split(",") for line in lines]
    return "".join(p[5] for p in parts), int(parts[-1][6])


def encoded(msg: dict[str, Any], *, seq: str = "1", channel: str = "A") -> list[str]:
    """The sentence(s) of one message, split by pyais into 1 or more fragments."""
    lines: list[str] = encode_dict(
        msg, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=seq
    )
    return lines
