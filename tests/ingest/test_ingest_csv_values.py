"""Text-to-value conversions and header resolution used by the CSV reader."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from watchkeeper.errors import FormatError
from watchkeeper.ingest.csv_layout import MARINECADASTRE_HEADER, detect_delimiter, resolve_layout
from watchkeeper.ingest.csv_values import parse_float, parse_imo, parse_int, parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-01-03T00:00:00", datetime(2022, 1, 3, tzinfo=UTC)),
        ("2022-01-03 00:00:00", datetime(2022, 1, 3, tzinfo=UTC)),
        ("2022-01-03T00:00:00Z", datetime(2022, 1, 3, tzinfo=UTC)),
        ("2022-01-03T00:00:01.5", datetime(2022, 1, 3, 0, 0, 1, 500_000, tzinfo=UTC)),
        ("2022-01-03T02:00:00+02:00", datetime(2022, 1, 3, tzinfo=UTC)),
        ("2022-01-02T20:30:00-0330", datetime(2022, 1, 3, tzinfo=UTC)),
        ("2022-01-03T00:00", datetime(2022, 1, 3, tzinfo=UTC)),
    ],
)
def test_times(text: str, expected: datetime) -> None:
    values, bad = parse_time(pa.array([text, "x"]))  # "x" forces the general path
    assert values[0].as_py() == expected
    assert bad.tolist() == [False, True]
    fast, _ = parse_time(pa.array([text]))
    assert fast[0].as_py() == expected


@pytest.mark.parametrize("text", ["2022-02-30T00:00:00", "2022-01-03T25:00:00", "03/01/2022", "x"])
def test_impossible_times_are_bad(text: str) -> None:
    values, bad = parse_time(pa.array([text, "2022-01-03T00:00:00Z"]))
    assert values[0].as_py() is None and bad.tolist() == [True, False]


def test_empty_time_is_null_not_bad() -> None:
    values, bad = parse_time(pa.array(["", None, " "]))
    assert values.null_count == 3 and not bad.any()


def test_floats() -> None:
    values, bad = parse_float(pa.array(["1", " -2.5 ", "1e3", "abc", "", None, ".5", "nan"]))
    assert values.to_pylist() == [1.0, -2.5, 1000.0, None, None, None, 0.5, None]
    assert bad.tolist() == [False, False, False, True, False, False, False, True]


def test_ints_null_what_does_not_fit() -> None:
    values, bad = parse_int(pa.array(["157", "157.0", "157.5", "99999", "x", ""]), pa.int16())
    assert values.to_pylist() == [157, 157, None, None, None, None]
    assert bad.tolist() == [False, False, True, False, True, False]


def test_imo_with_and_without_prefix() -> None:
    values, bad = parse_imo(pa.array(["IMO9018464", "9018464", "IMO0000000", "", "IMOABC"]))
    assert values.to_pylist() == [9018464, 9018464, 0, None, None]
    assert bad.tolist() == [False, False, False, False, True]


def test_layouts() -> None:
    classic = resolve_layout(",".join(MARINECADASTRE_HEADER))
    assert (classic.index["lat"], classic.index["lon"], classic.index["ais_class"]) == (2, 3, 16)
    snake = resolve_layout("mmsi,base_date_time,longitude,latitude,transceiver")
    assert (snake.index["lat"], snake.index["lon"], snake.index["ais_class"]) == (3, 2, 4)
    assert resolve_layout("\ufeffMMSI,BaseDateTime,LAT,LON").index["mmsi"] == 0


def test_delimiters() -> None:
    assert detect_delimiter("a;b;c") == ";"
    assert detect_delimiter("a\tb") == "\t"
    assert detect_delimiter("a,b;c,d") == ","


def test_missing_columns_message_names_found_and_needed() -> None:
    with pytest.raises(FormatError) as err:
        resolve_layout("id,when,north,east")
    message = str(err.value)
    assert "mmsi, ts, lat, lon" in message and "id, when, north, east" in message


def test_impossible_years_are_bad_times() -> None:
    """Years 0001 and 9999 passed CSV ingest and crashed detection (OverflowError)."""
    from watchkeeper.ingest.csv_values import parse_time

    col = pa.array(["0001-01-01T00:00:00", "9999-12-31T23:59:59", "2024-03-01T00:00:00", None])
    values, bad = parse_time(col)
    assert bad.tolist() == [True, True, False, False]
    assert values.null_count == 3
    col = pa.array(["0001-01-01 00:00+01:00", "2024-03-01 00:00Z"])
    assert parse_time(col)[1].tolist() == [True, False]
