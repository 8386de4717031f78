"""Columnar 6-bit access: the byte arithmetic and the field reads match their definitions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.ingest import nmea_bits as nb


def test_armour_arithmetic_is_the_table() -> None:
    """Every byte value maps as ITU-R M.1371-5 armour (255 outside), then PAD zeros."""
    raw = np.tile(np.arange(256, dtype=np.uint8), 3)
    six, bad = nb._armour(raw)
    assert six[: len(raw)].tolist() == np.tile(nb.ARMOUR, 3).tolist()
    assert len(six) == len(raw) + nb.PAD and not six[len(raw) :].any()
    assert bad.tolist() == np.flatnonzero(np.tile(nb.ARMOUR, 3) == nb.INVALID).tolist()
    assert nb.ARMOUR[ord("0")] == 0 and nb.ARMOUR[ord("W")] == 39 and nb.ARMOUR[ord("w")] == 63


def test_payloads_mark_rows_with_bytes_outside_the_alphabet() -> None:
    p = nb.payloads(pa.array(["15M", "1x5", "", "w"]), pa.array([0, 0, 0, 2]))
    assert p.clean.tolist() == [True, False, True, True]
    assert p.first_type.tolist() == [1, 1, -1, 63]
    assert p.bits.tolist() == [18, 18, 0, 4]


def _field_by_text(values: list[int], f: nb.Field) -> int:
    """The field read the slow way: the 6-bit values as a bit string."""
    bits = "".join(f"{v:06b}" for v in values)[f.start : f.end]
    value = int(bits, 2)
    if f.signed and bits[0] == "1":
        value -= 1 << f.width
    return value


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 63), min_size=12, max_size=12), min_size=1, max_size=20),
    st.integers(0, 40),
    st.integers(1, 30),
    st.booleans(),
)
def test_bits_get_reads_the_bit_string(
    rows: list[list[int]], start: int, width: int, signed: bool
) -> None:
    f = nb.Field(start, width, signed)
    got = nb.Bits(np.array(rows, dtype=np.uint8)).get(f)
    assert got.tolist() == [_field_by_text(r, f) for r in rows]
