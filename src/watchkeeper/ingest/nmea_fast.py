"""A columnar AIS decoder: whole chunks of frames at once with numpy (issue 7).

Same contract and same output as :func:`watchkeeper.ingest.nmea_pyais.decode_frames` (read
its docstring for the rules), about ten times faster. The types that carry the volume
(positions 1, 2, 3, 18, 19, 27; identities 5, 19, 24) are decoded here a type at a time with
:mod:`~watchkeeper.ingest.nmea_bits`; the other known types (4, 8, 21...) are only counted,
as the reference does. Frames the reference rejects as ``undecodable`` (empty payload,
unknown type, bytes outside the armour, too few bits, type 24 part 2 or 3) are rare and are
handed to the reference itself, so that their reject details are its own.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest import nmea_bits as nb
from watchkeeper.ingest import nmea_pyais
from watchkeeper.ingest.nmea_framing_fast import iter_frames_fast
from watchkeeper.ingest.validate import candidate_names, validate_identities, validate_positions
from watchkeeper.schema import IDENTITIES, POSITIONS, Decoded, Quality

__all__ = ["decode_frames", "iter_frames_fast"]

_POSITION_TYPES = (1, 2, 3, 18, 19, 27)
_FAST_TYPES = (1, 2, 3, 5, 18, 19, 24, 27)
_SKIP_TYPES = np.array(sorted(nmea_pyais.KNOWN_TYPES - set(_FAST_TYPES)))
_MIN_BITS_24B = 162  # part B ends with the dimensions (or mothership MMSI) at bit 162


# ------------------------------------------------------------------ columns per type


def _positions(bits: nb.Bits, t: int) -> dict[str, np.ndarray]:
    """Position columns of types 1-3, 18, 19 or 27 (conversions as in ``nmea_pyais``).

    NaN marks a null: the values decoded here are never NaN themselves.
    """
    layout = {1: nb.CLASS_A, 2: nb.CLASS_A, 3: nb.CLASS_A, 27: nb.LONG_RANGE}.get(t, nb.CLASS_B)
    g = {name: bits.get(f) for name, f in layout.items()}
    nan = np.full(len(bits), np.nan)
    if t == 27:  # 1/10 minute; knots (63 = n/a); degrees (511 = n/a); no heading
        scale = 600.0
        sog = np.where(g["speed"] >= 63, np.nan, g["speed"]).astype(np.float32)
        cog = np.where(g["course"] >= 511, np.nan, g["course"]).astype(np.float32)
        heading = nan
    else:  # 1/10000 minute; 1/10 knot; 1/10 degree
        scale = 600000.0
        sog = (g["speed"] / 10.0).astype(np.float32)
        cog = (g["course"] / 10.0).astype(np.float32)
        heading = g["heading"].astype(np.float64)
    return {
        "mmsi": g["mmsi"],
        "lat": g["lat"] / scale,
        "lon": g["lon"] / scale,
        "sog_kn": sog,
        "cog_deg": cog,
        # validate_positions compares with NaN: integer columns go in as float64
        "heading_deg": heading,
        "nav_status": g["status"].astype(np.float64) if "status" in g else nan,
    }


class _PositionRows:
    """Decoded position fields scattered by frame row, so that output keeps frame order."""

    def __init__(self, n: int) -> None:
        self.taken = np.zeros(n, dtype=bool)
        self.cols: dict[str, np.ndarray] = {}
        self.n = n

    def put(self, rows: np.ndarray, values: dict[str, np.ndarray]) -> None:
        for name, vals in values.items():
            if name not in self.cols:
                self.cols[name] = np.zeros(self.n, dtype=vals.dtype)
            self.cols[name][rows] = vals
        self.taken[rows] = True

    def candidates(self, frames: pa.Table, p: nb.Payloads) -> pa.Table:
        """The candidate table (``_line`` holds the frame row; see :func:`_locate`)."""
        rows = np.flatnonzero(self.taken)
        if not len(rows):
            return _empty_candidates(POSITIONS)
        idx = pa.array(rows)
        mtype = p.first_type[rows]
        cols = {name: pa.array(v[rows], from_pandas=True) for name, v in self.cols.items()}
        class_a = np.isin(mtype, (1, 2, 3, 27))
        coarse = np.where(mtype == 27, int(Quality.COARSE), 0)
        return pa.table(
            {
                "mmsi": cols["mmsi"],
                "ts": frames.column("ts").take(idx),
                **{k: cols[k] for k in ("lat", "lon", "sog_kn", "cog_deg")},
                **{k: cols[k] for k in ("heading_deg", "nav_status")},
                "msg_type": pa.array(mtype.astype(np.int8)),
                "ais_class": pc.if_else(pa.array(class_a), "A", "B"),
                "source": frames.column("source").take(idx),
                "quality": pa.array((_assumed(frames, rows) | coarse).astype(np.int16)),
                "_line": idx,
            }
        )


def _assumed(frames: pa.Table, rows: np.ndarray) -> np.ndarray:
    """TIME_ASSUMED quality bit of the given frame rows."""
    col = frames.column("time_assumed").take(pa.array(rows))
    return np.where(col.to_numpy(zero_copy_only=False), int(Quality.TIME_ASSUMED), 0)


def _numbers(bits: nb.Bits, layout: dict[str, nb.Field]) -> dict[str, np.ndarray]:
    """The numeric fields of a layout (text fields are read by ``Bits.text``)."""
    return {name: bits.get(f) for name, f in layout.items() if f.width <= 32}


def _ship_type(raw: np.ndarray) -> pa.Array:
    """Ship type: the raw 8-bit code (reserved codes kept), 0 (not available) as null."""
    return pa.array(raw.astype(np.int16), mask=raw == 0)


def _dims(g: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    """Length = bow + stern, beam = port + starboard (0 becomes null in validation)."""
    return {
        "length_m": pa.array((g["to_bow"] + g["to_stern"]).astype(np.float32)),
        "beam_m": pa.array((g["to_port"] + g["to_starboard"]).astype(np.float32)),
    }


def _eta(g: dict[str, np.ndarray]) -> pa.Array:
    """``MM-DD[THH:MM]`` as :func:`nmea_pyais.eta_text`: null unless the date is valid.

    Written as bytes: every part is below 100 (4-6 bits), so two digits each; a string is
    the first 5 or 11 bytes of ``MM-DDTHH:MM`` (the Arrow string kernels this replaces
    cost ~5 ms per 100 k-line chunk for its few type 5 rows)."""
    month, day, hour, minute = g["month"], g["day"], g["hour"], g["minute"]
    n = len(month)
    text = np.empty((n, 11), np.uint8)
    for col, part in ((0, month), (3, day), (6, hour), (9, minute)):
        text[:, col] = 48 + part // 10
        text[:, col + 1] = 48 + part % 10
    text[:, 2], text[:, 5], text[:, 8] = ord("-"), ord("T"), ord(":")
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    size = np.where(valid, np.where((hour < 24) & (minute < 60), 11, 5), 0)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(size, out=offsets[1:])
    data = np.ascontiguousarray(text[np.arange(11)[None, :] < size[:, None]])
    mask = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    buffers = [mask, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.string(), n, buffers)


def _nulls(n: int, **types: pa.DataType) -> dict[str, pa.Array]:
    return {name: pa.nulls(n, typ) for name, typ in types.items()}


def _static5(bits: nb.Bits) -> dict[str, pa.Array]:
    """Identity columns of type 5 (static and voyage data)."""
    g = _numbers(bits, nb.TYPE5)
    return {
        "mmsi": pa.array(g["mmsi"]),
        "imo": pa.array(g["imo"].astype(np.int32)),
        "name": bits.text(nb.TYPE5["shipname"]),
        "callsign": bits.text(nb.TYPE5["callsign"]),
        "ship_type": _ship_type(g["ship_type"]),
        **_dims(g),
        "draught_m": pa.array((g["draught"] / 10.0).astype(np.float32)),
        "destination": bits.text(nb.TYPE5["destination"]),
        "eta": _eta(g),
    }


def _static19(bits: nb.Bits) -> dict[str, pa.Array]:
    """Identity columns of type 19 (class B extended report)."""
    g = _numbers(bits, nb.TYPE19_STATIC)
    n = len(bits)
    return {
        "mmsi": pa.array(bits.get(nb.CLASS_B["mmsi"])),
        "name": bits.text(nb.TYPE19_STATIC["shipname"]),
        "ship_type": _ship_type(g["ship_type"]),
        **_dims(g),
        **_nulls(n, imo=pa.int32(), callsign=pa.string(), draught_m=pa.float32()),
        **_nulls(n, destination=pa.string(), eta=pa.string()),
    }


def _static24(bits: nb.Bits, part: np.ndarray, names: dict[int, str]) -> dict[str, pa.Array]:
    """Type 24 rows: part A the name only; part B the rest with the MMSI's latest A name.

    ``names`` (MMSI -> latest non-empty part-A name) is updated in place, in frame order.
    """
    g = _numbers(bits, nb.TYPE24)
    n = len(bits)
    is_a = part == 0
    aux = (g["mmsi"] >= 980_000_000) & (g["mmsi"] <= 989_999_999)  # mothership, no dims
    text_a = bits.text(nb.TYPE24["shipname"]).to_pylist()
    out: list[str | None] = []
    for mmsi, a, text in zip(g["mmsi"].tolist(), is_a.tolist(), text_a, strict=True):
        if a:
            trimmed = text.strip("@ ")
            if trimmed:
                names[mmsi] = trimmed
            out.append(text)
        else:
            out.append(names.get(mmsi))
    no_dims = pa.array(is_a | aux)
    dims = {k: pc.if_else(no_dims, pa.nulls(n, v.type), v) for k, v in _dims(g).items()}
    callsign = bits.text(nb.TYPE24["callsign"])
    return {
        "mmsi": pa.array(g["mmsi"]),
        "name": pa.array(out, pa.string()),
        "callsign": pc.if_else(pa.array(is_a), pa.nulls(n, pa.string()), callsign),
        "ship_type": pa.array(g["ship_type"].astype(np.int16), mask=is_a | (g["ship_type"] == 0)),
        **dims,
        **_nulls(n, imo=pa.int32(), draught_m=pa.float32()),
        **_nulls(n, destination=pa.string(), eta=pa.string()),
    }


# ------------------------------------------------------------------ routing and assembly


def _common(frames: pa.Table, rows: np.ndarray, t: int) -> dict[str, pa.Array]:
    """Columns an identity row takes from its frame (``_line`` holds the frame row)."""
    idx = pa.array(rows)
    return {
        "ts": frames.column("ts").take(idx),
        "msg_type": pa.array(np.full(len(rows), t, dtype=np.int8)),
        "source": frames.column("source").take(idx),
        "_line": idx,
    }


def _route(p: nb.Payloads) -> tuple[dict[int, np.ndarray], Counter[str], np.ndarray]:
    """Rows decoded here by type, counts of skipped types, and the rows left to pyais."""
    t = p.first_type
    by_type: dict[int, np.ndarray] = {}
    decodable = np.zeros(len(t), dtype=bool)
    for typ in _FAST_TYPES:
        ok = (t == typ) & p.clean & (p.bits >= nmea_pyais.MIN_BITS[typ])
        rows = np.flatnonzero(ok)
        if len(rows):
            by_type[typ] = rows
            decodable[rows] = True
    skip = np.isin(t, _SKIP_TYPES)
    counts = np.bincount(t[skip], minlength=64)
    skipped = Counter({f"msg_type_{k}": int(c) for k, c in enumerate(counts) if c})
    return by_type, skipped, ~(decodable | skip)


def _type24_part(p: nb.Payloads, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Part numbers of type 24 rows and which rows are decodable (A, or B with 162 bits)."""
    part = nb.Bits(nb.sixbit_matrix(p, rows, 7)).get(nb.TYPE24["partno"])
    ok = (part == 0) | ((part == 1) & (p.bits[rows] >= _MIN_BITS_24B))
    return part, ok


#: Candidate column types that differ from the output schema (validation compares with NaN).
_CANDIDATE_TYPES = {"heading_deg": pa.float64(), "nav_status": pa.float64()}


def _empty_candidates(schema: pa.Schema) -> pa.Table:
    fields = [pa.field(f.name, _CANDIDATE_TYPES.get(f.name, f.type)) for f in schema]
    return pa.schema([*fields, pa.field("_line", pa.int64())]).empty_table()


def _identity_candidates(parts: list[dict[str, pa.Array]]) -> pa.Table:
    """One identity candidate table in frame order, columns in schema order."""
    if not parts:
        return _empty_candidates(IDENTITIES)
    names = [*candidate_names(IDENTITIES), "_line"]
    table = pa.concat_tables([pa.table({k: part[k] for k in names}) for part in parts])
    if len(parts) > 1:
        table = table.take(pc.sort_indices(table.column("_line")))
    return table


def _source_lines(table: pa.Table, frames: pa.Table) -> pa.Table:
    """Validated rows whose ``line`` holds a frame row: give them the frame's source line."""
    i = table.schema.get_field_index("line")
    return table.set_column(i, "line", frames.column("line").take(table.column("line")))


def _locate(rejects: pa.Table, frames: pa.Table) -> pa.Table:
    """Rejects whose ``line`` holds a frame row: give them the frame's line and raw text."""
    rows = rejects.column("line")
    rejects = rejects.set_column(1, "line", frames.column("line").take(rows))
    return rejects.set_column(4, "raw", frames.column("raw").take(rows))


def decode_frames(
    frames: pa.Table, *, file: str, type24_names: dict[int, str] | None = None
) -> Decoded:
    """Decode a frames table into validated positions, identities, rejects and skip counts.

    ``type24_names`` carries type 24 part A names across chunks of one file (updated in
    place), as in :func:`watchkeeper.ingest.nmea_pyais.decode_frames`.
    """
    names = type24_names if type24_names is not None else {}
    from watchkeeper.ingest import nmea_bits_kernel  # numba: imported on first use

    p = nmea_bits_kernel.payloads(frames.column("payload"), frames.column("fill_bits"))
    by_type, skipped, slow = _route(p)
    pos = _PositionRows(frames.num_rows)
    id_parts: list[dict[str, pa.Array]] = []
    for t, rows in by_type.items():
        if t == 24:
            part, ok = _type24_part(p, rows)
            slow[rows[~ok]] = True
            rows, part = rows[ok], part[ok]  # noqa: PLW2901  (narrowed to decodable rows)
        bits = nb.Bits(nb.sixbit_matrix(p, rows, -(-nmea_pyais.MIN_BITS[t] // 6)))
        if t in _POSITION_TYPES:
            pos.put(rows, _positions(bits, t))
        if t == 5:
            id_parts.append({**_static5(bits), **_common(frames, rows, t)})
        elif t == 19:
            id_parts.append({**_static19(bits), **_common(frames, rows, t)})
        elif t == 24:
            id_parts.append({**_static24(bits, part, names), **_common(frames, rows, t)})
    return _finish(frames, file, slow, pos.candidates(frames, p), id_parts, skipped)


def _finish(
    frames: pa.Table,
    file: str,
    slow: np.ndarray,
    pos_cand: pa.Table,
    id_parts: list[dict[str, pa.Array]],
    skipped: Counter[str],
) -> Decoded:
    """Validate the candidates; the reference decodes (rejects) the rows left to it."""
    positions, pos_rejects = validate_positions(pos_cand, file=file)
    identities, id_rejects = validate_identities(_identity_candidates(id_parts), file=file)
    positions, identities = (_source_lines(t, frames) for t in (positions, identities))
    rest = Decoded()
    others = np.flatnonzero(slow)
    if len(others):
        rest = nmea_pyais.decode_frames(frames.take(pa.array(others)), file=file)
    found = [_locate(r, frames) for r in (pos_rejects, id_rejects) if r.num_rows]
    rejects = pa.concat_tables([rest.rejects, *found])
    return Decoded(positions, identities, rejects, skipped + rest.skipped)
