"""Decode frames (see :mod:`~watchkeeper.ingest.nmea_framing`) with pyais, one message at a time.

This is the reference decoder: :mod:`watchkeeper.ingest.nmea_fast` must give identical
output. The rules both follow, beyond pyais's field layout:

* message type = the first armoured character; types 1-28 are known (ITU-R M.1371-5/-6):
  positions 1, 2, 3, 18, 19, 27; identities 5, 19, 24; the others are counted in
  ``skipped`` as ``msg_type_<n>``; 0 and 29-63 are ``undecodable``;
* a payload with a character outside the armour alphabet, or fewer bits (6 x chars - fill)
  than :data:`MIN_BITS` (the end of the last field read), is ``undecodable``;
* lat/lon = raw / 600000.0 (type 27: raw / 600.0) as float64; sog = float32(raw / 10.0)
  (type 27: knots, 63 -> null); cog = float32(raw / 10.0) (type 27: degrees, 511 -> null);
  heading int16 (type 27: null); nav_status from types 1-3 and 27, else null;
  quality = TIME_ASSUMED when the frame's time was assumed, | COARSE for type 27;
* identities: imo, callsign, name, ship_type (the raw 8-bit code, reserved codes kept;
  0 -> null), length = to_bow + to_stern,
  beam = to_port + to_starboard, draught = float32(raw / 10.0), destination, and eta as
  ``MM-DD`` or ``MM-DDTHH:MM`` (null unless 1 <= month <= 12 and 1 <= day <= 31; the time
  part only when hour < 24 and minute < 60); text is trimmed of '@' and spaces by
  :func:`~watchkeeper.ingest.validate.validate_identities`;
* type 24: part A gives a row with the name only and records the name in ``type24_names``
  (by MMSI, if not empty after trimming '@' and spaces); part B gives ship type, callsign and
  dimensions (none for auxiliary craft, MMSI 98xxxxxxx) with the latest recorded name of the
  MMSI; partno 2 or 3 is ``undecodable``;
* output order: rows in frame order; rejects = undecodable (frame order), then position
  range rejects, then identity rejects.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

import pyarrow as pa
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from watchkeeper.ingest.validate import (
    candidate_names,
    make_rejects,
    validate_identities,
    validate_positions,
)
from watchkeeper.schema import IDENTITIES, POSITIONS, TIMESTAMP, Decoded, Quality, RejectReason

__all__ = [
    "IDENTITY_TYPES",
    "KNOWN_TYPES",
    "MIN_BITS",
    "POSITION_TYPES",
    "Candidates",
    "armour_ok",
    "decode_candidates",
    "decode_frames",
    "eta_text",
]

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
IDENTITY_TYPES = frozenset({5, 19, 24})
KNOWN_TYPES = frozenset(range(1, 29))  # ITU-R M.1371-5 types 1-27, -6 adds 28

#: Bits a message must have to be decoded: the end of the last field used (ITU-R M.1371-5).
MIN_BITS = {1: 137, 2: 137, 3: 137, 18: 133, 19: 301, 27: 94, 5: 422, 24: 160}
_SHIP_TYPE_AT = {5: 232, 19: 263, 24: 40}  # bit offset; pyais maps reserved codes to 0
_MIN_BITS_24B = 162  # part B: callsign + dimensions (or mothership MMSI) end at bit 162

_ARMOUR = frozenset("0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw")

_POS_COLS = [*candidate_names(POSITIONS), "_line", "_raw"]
_ID_COLS = [*candidate_names(IDENTITIES), "_line", "_raw"]
_POS_TYPES = {
    **{f.name: f.type for f in POSITIONS},
    # validate_positions fills nulls with NaN to compare: integer columns go in as float64
    # and come out cast to int by the POSITIONS schema.
    "heading_deg": pa.float64(),
    "nav_status": pa.float64(),
    "_line": pa.int64(),
    "_raw": pa.string(),
}
_ID_TYPES = {**{f.name: f.type for f in IDENTITIES}, "_line": pa.int64(), "_raw": pa.string()}


def armour_ok(payload: str) -> bool:
    """True when every character is in the AIS 6-bit armour alphabet (ITU-R M.1371 8.2)."""
    return _ARMOUR.issuperset(payload)


def _sixbit(char: str) -> int:
    value = ord(char) - 48
    return value - 8 if value > 40 else value


def message_type(payload: str) -> int:
    """The AIS message type: the 6-bit value of the first armoured character."""
    return _sixbit(payload[0])


def eta_text(month: int, day: int, hour: int, minute: int) -> str | None:
    """Type 5 ETA as ``MM-DD[THH:MM]`` (no year is broadcast); None when not available."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if hour < 24 and minute < 60:
        return f"{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"
    return f"{month:02d}-{day:02d}"


def _trim(text: str | None) -> str | None:
    cleaned = (text or "").strip("@ ")
    return cleaned or None


def _raw_deg(value: float, scale: float) -> float:
    """Undo pyais's 6-decimal rounding: the exact raw / scale (raw is recovered exactly)."""
    return round(value * scale) / scale


class _Rows:
    """Column buffers for candidate positions and identities and the undecodable rejects."""

    def __init__(self) -> None:
        self.pos: dict[str, list[Any]] = {c: [] for c in _POS_COLS}
        self.ids: dict[str, list[Any]] = {c: [] for c in _ID_COLS}
        self.bad: dict[str, list[Any]] = {"line": [], "detail": [], "raw": []}
        self.skipped: Counter[str] = Counter()

    def undecodable(self, frame: dict[str, Any], detail: str) -> None:
        self.bad["line"].append(frame["line"])
        self.bad["detail"].append(detail)
        self.bad["raw"].append(frame["raw"])

    def position(self, frame: dict[str, Any], msg: Any, t: int) -> None:
        coarse = t == 27
        quality = Quality.TIME_ASSUMED if frame["time_assumed"] else Quality.OK
        if coarse:
            quality |= Quality.COARSE
        scale = 600.0 if coarse else 600000.0
        row = {
            "mmsi": msg.mmsi,
            "ts": frame["ts"],
            "lat": _raw_deg(msg.lat, scale),
            "lon": _raw_deg(msg.lon, scale),
            "sog_kn": _speed(msg.speed, coarse),
            "cog_deg": _course(msg.course, coarse),
            "heading_deg": None if coarse else msg.heading,
            "nav_status": int(msg.status) if t in (1, 2, 3, 27) else None,
            "msg_type": t,
            "ais_class": "A" if t in (1, 2, 3, 27) else "B",
            "source": frame["source"],
            "quality": int(quality),
            "_line": frame["line"],
            "_raw": frame["raw"],
        }
        for key, value in row.items():
            self.pos[key].append(value)

    def identity(self, frame: dict[str, Any], t: int, **fields: Any) -> None:
        ship_type = fields.get("ship_type")
        row = {
            "mmsi": fields["mmsi"],
            "ts": frame["ts"],
            "imo": fields.get("imo"),
            "name": fields.get("name"),
            "callsign": fields.get("callsign"),
            "ship_type": ship_type or None,  # 0 = not available
            "length_m": fields.get("length_m"),
            "beam_m": fields.get("beam_m"),
            "draught_m": fields.get("draught_m"),
            "destination": fields.get("destination"),
            "eta": fields.get("eta"),
            "msg_type": t,
            "source": frame["source"],
            "_line": frame["line"],
            "_raw": frame["raw"],
        }
        for key, value in row.items():
            self.ids[key].append(value)


def _speed(value: float, coarse: bool) -> float | None:
    if coarse:
        return None if value >= 63 else float(value)  # type 27: 63 = not available
    return float(value)  # raw / 10 already; 102.3 nulled by validate_positions


def _course(value: float, coarse: bool) -> float | None:
    if coarse:
        return None if value >= 511 else float(value)  # type 27: 511 = not available
    return float(value)


def _dims(msg: Any) -> dict[str, float]:
    return {
        "length_m": float(msg.to_bow + msg.to_stern),
        "beam_m": float(msg.to_port + msg.to_starboard),
    }


def _identity(
    rows: _Rows,
    frame: dict[str, Any],
    msg: Any,
    t: int,
    names: dict[int, str],
    ship_type: int | None,
) -> None:
    if t == 5:
        rows.identity(
            frame,
            t,
            mmsi=msg.mmsi,
            imo=msg.imo,
            name=msg.shipname,
            callsign=msg.callsign,
            ship_type=ship_type,
            draught_m=msg.draught,
            destination=msg.destination,
            eta=eta_text(msg.month, msg.day, msg.hour, msg.minute),
            **_dims(msg),
        )
    elif t == 19:
        rows.identity(frame, t, mmsi=msg.mmsi, name=msg.shipname, ship_type=ship_type, **_dims(msg))
    elif msg.partno == 0:
        name = _trim(msg.shipname)
        if name is not None:
            names[msg.mmsi] = name
        rows.identity(frame, t, mmsi=msg.mmsi, name=msg.shipname)
    else:
        dims = _dims(msg) if hasattr(msg, "to_bow") else {}
        rows.identity(
            frame,
            t,
            mmsi=msg.mmsi,
            name=names.get(msg.mmsi),
            callsign=msg.callsign,
            ship_type=ship_type,
            **dims,
        )


def _check(payload: str, fill: int) -> str | None:
    """Why a payload of one of our types cannot be decoded, or None."""
    if not armour_ok(payload):
        return "payload has characters outside the 6-bit armour"
    t = message_type(payload)
    bits = 6 * len(payload) - fill
    need = MIN_BITS[t]
    if t == 24 and len(payload) > 6 and (_sixbit(payload[6]) >> 2) & 3 == 1:
        need = _MIN_BITS_24B  # bits 38-39 (partno) sit in character 6
    if bits < need:
        return f"type {t} payload has {bits} bits, needs {need}"
    return None


def _decode_one(rows: _Rows, frame: dict[str, Any], names: dict[int, str]) -> None:
    payload: str = frame["payload"]
    if not payload:
        rows.undecodable(frame, "empty payload")
        return
    t = message_type(payload)
    if t not in POSITION_TYPES and t not in IDENTITY_TYPES:
        if t in KNOWN_TYPES:
            rows.skipped[f"msg_type_{t}"] += 1
        else:
            rows.undecodable(frame, f"unknown message type {t}")
        return
    why = _check(payload, frame["fill_bits"])
    if why is not None:
        rows.undecodable(frame, why)
        return
    try:
        bits = bit_vector(payload.encode("ascii"), frame["fill_bits"])
        msg = MSG_CLASS[t].from_vector(bits)
        ship_type = bits.get_num(_SHIP_TYPE_AT[t], 8) if t in _SHIP_TYPE_AT else None
    except Exception as exc:  # pyais raises many types on bad bits; all mean "undecodable"
        rows.undecodable(frame, f"pyais: {type(exc).__name__}: {exc}"[:200])
        return
    if t in POSITION_TYPES:
        rows.position(frame, msg, t)
    if t in IDENTITY_TYPES:
        _identity(rows, frame, msg, t, names, ship_type)


def _table(cols: dict[str, list[Any]], types: dict[str, pa.DataType]) -> pa.Table:
    arrays = {}
    for name, values in cols.items():
        kind = types[name]
        if kind == TIMESTAMP:
            arrays[name] = pa.array(values, pa.timestamp("ms", tz="UTC"))
        else:
            arrays[name] = pa.array(values, kind)
    return pa.table(arrays)


class Candidates(NamedTuple):
    """Decoded rows before range validation (the candidate tables of ``validate.py``)."""

    positions: pa.Table
    identities: pa.Table
    undecodable: pa.Table  # REJECTS schema
    skipped: Counter[str]


def decode_candidates(
    frames: pa.Table, *, file: str, type24_names: dict[int, str] | None = None
) -> Candidates:
    """Decode every frame with pyais into candidate positions and identities, unvalidated."""
    names = type24_names if type24_names is not None else {}
    rows = _Rows()
    for frame in frames.to_pylist():
        _decode_one(rows, frame, names)
    n_bad = len(rows.bad["line"])
    undecodable = make_rejects(
        file,
        rows.bad["line"],
        [RejectReason.UNDECODABLE.value] * n_bad,
        rows.bad["raw"],
        rows.bad["detail"],
    )
    return Candidates(
        _table(rows.pos, _POS_TYPES), _table(rows.ids, _ID_TYPES), undecodable, rows.skipped
    )


def decode_frames(
    frames: pa.Table, *, file: str, type24_names: dict[int, str] | None = None
) -> Decoded:
    """Decode a frames table into validated positions, identities, rejects and skip counts.

    ``type24_names`` carries type 24 part A names across chunks of one file (it is updated
    in place); pass the same dict for every chunk of a file.
    """
    cand = decode_candidates(frames, file=file, type24_names=type24_names)
    positions, pos_rejects = validate_positions(cand.positions, file=file)
    identities, id_rejects = validate_identities(cand.identities, file=file)
    rejects = pa.concat_tables([cand.undecodable, pos_rejects, id_rejects])
    return Decoded(positions, identities, rejects, cand.skipped)
