"""NMEA 0183 with NMEA 4.10 tag blocks, as coastal networks and satellite providers deliver it.

Position reports (types 1 and 18) are bit-packed with numpy, millions at a time; tests check
every field against pyais' decoder. Static reports (types 5 and 24) are encoded with pyais
``encode_dict`` (and cached: they repeat every six minutes unchanged). Each line carries
``\\s:<receiver>,c:<unix time>*hh\\``; the two sentences of a type 5 are grouped with
``g:<n>-2-<group id>``. Noise (duplicates from other receivers, corrupt checksums, truncated
lines, satellite delivery out of order) is added on top of a clean copy of every report.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pyais.encode import encode_dict

from watchkeeper.simulate.scenario import STATIONS

__all__ = ["NoiseConfig", "encode_positions", "encode_statics", "noisy_lines", "tag_block"]

_ARMOUR = np.array([c + 48 if c < 40 else c + 56 for c in range(64)], dtype=np.uint8)


@dataclass(frozen=True)
class NoiseConfig:
    """Line-level noise rates (per clean line)."""

    duplicate_p: float = 0.15  # heard by a second receiver (overlapping coverage)
    corrupt_p: float = 0.002  # a payload character flipped: the checksum fails
    truncate_p: float = 0.001  # the line is cut (a dropped connection)
    sat_delay_s: float = 1_800.0  # satellite data is delivered up to 30 min late


def _xor(text: str) -> int:
    out = 0
    for ch in text.encode():
        out ^= ch
    return out


def tag_block(fields: str) -> str:
    r"""A tag block ``\<fields>*hh\`` (NMEA 4.10 checksum over the fields)."""
    return f"\\{fields}*{_xor(fields):02X}\\"


def _bits(fields: list[tuple[npt.NDArray[np.int64], int]]) -> npt.NDArray[np.uint8]:
    """Pack unsigned/two's-complement integer columns of given widths into a bit matrix."""
    parts = []
    for values, width in fields:
        v = np.asarray(values, dtype=np.int64) & ((1 << width) - 1)
        shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
        parts.append(((v[:, None] >> shifts[None, :]) & 1).astype(np.uint8))
    return np.concatenate(parts, axis=1)


def _armour(bits: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """6-bit ASCII armouring of a bit matrix whose width is a multiple of 6."""
    six = bits.reshape(bits.shape[0], -1, 6)
    values = six @ np.array([32, 16, 8, 4, 2, 1], dtype=np.uint8)
    return _ARMOUR[values]


def _position_bits(t: pa.Table) -> npt.NDArray[np.uint8]:
    """The 168-bit payloads of type 1 (class A) and type 18 (class B) rows (ITU-R M.1371)."""
    n = t.num_rows
    z, one = np.zeros(n, np.int64), np.ones(n, np.int64)

    def col(name: str, scale: float, na: int) -> npt.NDArray[np.int64]:
        arr = pc.fill_null(pc.cast(t.column(name), pa.float64()), np.nan).to_numpy()
        return np.where(np.isnan(arr), na, np.round(arr * scale)).astype(np.int64)

    mmsi = t.column("mmsi").to_numpy().astype(np.int64)
    msg = t.column("msg_type").to_numpy().astype(np.int64)
    second = pc.cast(t.column("ts"), pa.int64()).to_numpy() // 1000 % 60
    body = [
        (col("sog_kn", 10, 1023), 10),
        (z, 1),
        (col("lon", 600_000, 181 * 600_000), 28),
        (col("lat", 600_000, 91 * 600_000), 27),
        (col("cog_deg", 10, 3600), 12),
        (col("heading_deg", 1, 511), 9),
        (second.astype(np.int64), 6),
    ]
    type_1 = _bits(
        [
            (msg, 6),
            (z, 2),
            (mmsi, 30),
            (col("nav_status", 1, 15), 4),
            (np.full(n, -128, np.int64), 8),
            *body,
            (z, 2),
            (z, 3),
            (z, 1),
            (z, 19),
        ]
    )
    type_18 = _bits(
        [
            (msg, 6),
            (z, 2),
            (mmsi, 30),
            (z, 8),
            *body,
            (z, 2),
            (one, 1),
            (z, 2),
            (one, 1),
            (z, 3),
            (np.full(n, 0b1100000000000000110, np.int64), 20),
        ]
    )
    return np.where((msg == 18)[:, None], type_18, type_1)


def encode_positions(t: pa.Table, *, talker: str = "AI") -> list[str]:
    """``!AIVDM`` sentences (one per row) for type 1 / 18 rows of a POSITIONS table."""
    if t.num_rows == 0:
        return []
    chars = _armour(_position_bits(t))
    channel = np.where(np.arange(t.num_rows) % 2 == 0, ord("A"), ord("B")).astype(np.uint8)
    fixed = _xor(f"{talker}VDM,1,1,,") ^ _xor(",") ^ _xor(",0")
    csum = np.bitwise_xor.reduce(chars, axis=1) ^ channel ^ fixed
    payloads = chars.tobytes().decode("ascii")
    return [
        f"!{talker}VDM,1,1,,{chr(channel[i])},{payloads[28 * i : 28 * i + 28]},0*{csum[i]:02X}"
        for i in range(t.num_rows)
    ]


@functools.lru_cache(maxsize=65_536)
def _static_sentences(
    mmsi: int,
    msg_type: int,
    imo: int | None,
    name: str,
    callsign: str,
    ship_type: int,
    length_m: float,
    beam_m: float,
    draught_m: float | None,
    destination: str | None,
    part: int,
    seq: int,
) -> tuple[str, ...]:
    bow, port = int(length_m * 0.8), int(beam_m / 2)
    data: dict[str, str | int | float | bytes | bool]
    dims: dict[str, str | int | float | bytes | bool] = {
        "to_bow": bow,
        "to_stern": int(length_m) - bow,
        "to_port": port,
        "to_starboard": int(beam_m) - port,
    }
    if msg_type == 5:
        data = {
            "type": 5,
            "mmsi": mmsi,
            "imo": imo or 0,
            "shipname": name,
            "callsign": callsign,
            "ship_type": ship_type,  # pyais field name; "shiptype" is silently ignored
            # to the 0.1 m of the field: pyais truncates, and a float32 3.6 (3.5999999) would be 3.5
            "draught": round(draught_m or 0.0, 1),
            "destination": destination or "",
            **dims,
        }
    elif part == 0:
        data = {"type": 24, "mmsi": mmsi, "partno": 0, "shipname": name}
    else:
        data = {
            "type": 24,
            "mmsi": mmsi,
            "partno": 1,
            "ship_type": ship_type,  # pyais field name; "shiptype" is silently ignored
            "callsign": callsign,
            **dims,
        }
    return tuple(
        encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel="A", seq_id=seq)
    )


def _with_seq(sentence: str, seq: int) -> str:
    """The same sentence with another sequential message id (and its checksum)."""
    body = sentence[1:].split("*", maxsplit=1)[0]
    fields = body.split(",")
    fields[3] = str(seq)
    body = ",".join(fields)
    return f"!{body}*{_xor(body):02X}"


@functools.lru_cache(maxsize=65_536)
def _static_cached(*row: Any, part: int, seq: int) -> tuple[str, ...]:
    base = _static_sentences(*row, part=part, seq=0)
    return base if len(base) == 1 or seq == 0 else tuple(_with_seq(x, seq) for x in base)


_STATIC_COLS = (
    "mmsi",
    "msg_type",
    "imo",
    "name",
    "callsign",
    "ship_type",
    "length_m",
    "beam_m",
    "draught_m",
    "destination",
)


def encode_statics(t: pa.Table) -> Iterator[tuple[int, list[str]]]:
    """(unix ms, sentences) per row of an IDENTITIES table; type 24 alternates parts A/B."""
    cols = [t.column(c).to_pylist() for c in _STATIC_COLS]
    ts = pc.cast(t.column("ts"), pa.int64()).to_pylist()
    for i, row in enumerate(zip(*cols, strict=True)):
        yield ts[i], list(_static_cached(*row, part=(ts[i] // 360_000) % 2, seq=i % 10))


@dataclass
class NoiseState:
    """Running counters for noise and group ids across windows."""

    group_id: int = 1
    duplicates: int = 0
    corrupt: int = 0
    truncated: int = 0


def _xor_digits(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """XOR of the ASCII decimal digits of each (positive) integer, vectorised."""
    out = np.zeros(values.size, np.int64)
    v = values.copy()
    first = True
    while first or (v > 0).any():
        live = (v > 0) | first
        out = np.where(live, out ^ (v % 10 + 48), out)
        v //= 10
        first = False
    return out


def _tag_lines(
    src_codes: npt.NDArray[np.int64],
    names: list[str],
    ts: npt.NDArray[np.int64],
    sentences: list[str],
) -> list[str]:
    """``\\s:<src>,c:<ts>*hh\\<sentence>`` for every row, checksums vectorised."""
    name_x = np.array([_xor(f"s:{n},c:") for n in names], dtype=np.int64)
    csum = name_x[src_codes] ^ _xor_digits(ts)
    return [
        f"\\s:{names[c]},c:{t}*{x:02X}\\{s}"
        for c, t, x, s in zip(
            src_codes.tolist(), ts.tolist(), csum.tolist(), sentences, strict=True
        )
    ]


def noisy_lines(
    positions: pa.Table,
    identities: pa.Table,
    noise: NoiseConfig,
    state: NoiseState,
    rng: np.random.Generator,
) -> list[str]:
    """All NMEA lines of one window: clean copies, noise copies, mildly out of order."""
    enc = pc.dictionary_encode(positions.column("source")).combine_chunks()
    names = [str(x) for x in enc.dictionary.to_pylist()]
    codes = enc.indices.to_numpy().astype(np.int64)
    ts = pc.cast(positions.column("ts"), pa.int64()).to_numpy() // 1000
    sentences = encode_positions(positions)
    is_sat = (
        np.array([n.startswith("rSAT") for n in names], dtype=bool)[codes] if names else codes > 0
    )
    delay = np.where(is_sat, rng.uniform(0, noise.sat_delay_s, ts.size), 0.0)
    dup = np.flatnonzero(rng.random(ts.size) < noise.duplicate_p)
    state.duplicates += int(dup.size)
    station_names = [s[0] for s in STATIONS]
    other = rng.integers(0, len(STATIONS), dup.size).astype(np.int64)
    lines = _tag_lines(codes, names, ts, sentences)
    lines += _tag_lines(other, station_names, ts[dup], [sentences[i] for i in dup])
    keys = [*(ts + delay).tolist(), *(ts[dup] + delay[dup] + 0.5).tolist()]
    id_src = identities.column("source").to_pylist()
    for i, (ms, parts) in enumerate(encode_statics(identities)):
        t = ms // 1000
        gid, state.group_id = state.group_id, state.group_id % 9999 + 1
        for k, sentence in enumerate(parts):
            fields = f"s:{id_src[i]},c:{t}"
            if len(parts) > 1:
                fields = f"g:{k + 1}-{len(parts)}-{gid},{fields}"
            keys.append(t + k * 1e-3)
            lines.append(f"{tag_block(fields)}{sentence}")
    order = np.argsort(np.asarray(keys), kind="stable")
    return _add_noise([lines[i] for i in order.tolist()], noise, state, rng)


def _add_noise(
    lines: list[str], noise: NoiseConfig, state: NoiseState, rng: np.random.Generator
) -> list[str]:
    u = rng.random((len(lines), 2))
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        if line.startswith("\\g:"):
            continue  # keep multi-part groups whole: noise only on single sentences
        if u[i, 0] < noise.corrupt_p:
            state.corrupt += 1
            j = line.rfind(",0*") - 5
            ch = "0" if line[j] != "0" else "1"
            out.append(line[:j] + ch + line[j + 1 :])
        if u[i, 1] < noise.truncate_p:
            state.truncated += 1
            out.append(line[: int(rng.integers(len(line) // 3, len(line) - 4))])
    return out
