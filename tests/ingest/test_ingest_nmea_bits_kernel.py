"""The compiled payload armour gives exactly what the numpy passes of ``nmea_bits`` give."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.ingest import nmea_bits as nb
from watchkeeper.ingest import nmea_bits_kernel

_ARMOURED = st.text(
    st.sampled_from("0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw")
)
_ANY = st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=12)
_PAYLOAD = st.one_of(st.none(), _ARMOURED, _ANY)


def assert_same(payload: pa.Array | pa.ChunkedArray, fill: pa.Array) -> None:
    want = nb.payloads(payload, fill)
    got = nmea_bits_kernel.payloads(payload, fill)
    for name in ("six", "starts", "chars", "bits", "clean", "first_type"):
        assert getattr(got, name).tolist() == getattr(want, name).tolist(), name


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_PAYLOAD, st.integers(0, 5)), max_size=30),
    st.integers(0, 3),
    st.booleans(),
)
def test_payloads_are_the_numpy_payloads(
    rows: list[tuple[str | None, int]], cut: int, large: bool
) -> None:
    """Armoured and other bytes, empty and null payloads, sliced and chunked columns."""
    texts = [t for t, _ in rows]
    fill = pa.array([f for _, f in rows], pa.int8())
    payload = pa.array(texts, pa.large_string() if large else pa.string())
    assert_same(payload, fill)
    assert_same(payload.slice(min(cut, len(texts))), fill.slice(min(cut, len(texts))))
    half = len(texts) // 2
    chunked = pa.chunked_array([payload.slice(0, half), payload.slice(half)], payload.type)
    assert_same(chunked, fill)


def test_every_byte_value() -> None:
    """Each of the 256 byte values, alone and inside a payload."""
    texts = [bytes([b]).decode("latin-1") for b in range(1, 256)] + ["15M" + chr(200) + "0"]
    assert_same(pa.array(texts, pa.string()), pa.array([0] * len(texts), pa.int8()))
    assert not np.asarray(nmea_bits_kernel.payloads(pa.array(["1\x7f"]), pa.array([0])).clean)[0]
