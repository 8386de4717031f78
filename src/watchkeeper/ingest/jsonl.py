"""JSON AIS records (JSON lines, a JSON array, AISHub's ``[status, [records]]``) into rows.

Each record's values are turned into text and go through the same column mapping, parsing
and validation as CSV rows (:func:`watchkeeper.ingest.csv.decode_rows`), so a provider's
JSON and CSV give the same positions. The header is the keys of the first records; a
provider preset is detected from it like a CSV header (GFW tracks: ``ssvid``, ``timestamp``).
A line that is not a JSON object is ``malformed_row``, never the end of the file.

>>> import io
>>> data = b'{"ssvid": 416000000, "lat": 22.5, "lon": 120.3, "timestamp": "2014-01-01 01:14:25"}\\n'
>>> read_json(io.BytesIO(data)).positions.num_rows
1
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from watchkeeper.errors import FormatError
from watchkeeper.ingest.csv import decode_rows
from watchkeeper.ingest.csv_layout import CsvLayout, resolve_header
from watchkeeper.ingest.csv_rows import RowBlock
from watchkeeper.ingest.identity_runs import IdentityRuns
from watchkeeper.ingest.options import collect
from watchkeeper.ingest.sources import LineReader, Source, open_source
from watchkeeper.ingest.validate import make_rejects
from watchkeeper.schema import Decoded, RejectReason

__all__ = ["DEFAULT_CHUNK_ROWS", "iter_json", "read_json"]

#: Records per chunk: a JSON record is parsed in Python (~2-5 us), so 100 k keep a chunk
#: well under a second and its Arrow text columns a few tens of MB.
DEFAULT_CHUNK_ROWS = 100_000
_HEADER_RECORDS = 1_000  # records whose keys make the header (providers omit null keys)

_Record = tuple[int | None, str, Any]  # line number, raw text, parsed value


def iter_json(
    source: Source,
    *,
    file: str | None = None,
    columns: Mapping[str, str] | None = None,
    layout: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[Decoded]:
    """Decode a JSON file or stream (plain or compressed) chunk by chunk.

    ``columns`` and ``layout`` work as for :func:`watchkeeper.ingest.csv.iter_csv`.
    """
    stream, name, owned = open_source(source, file)
    try:
        records = _records(LineReader(stream), name)
        yield from _decode(records, name, columns, layout, chunk_rows)
    finally:
        if owned:
            stream.close()


def read_json(
    source: Source,
    *,
    file: str | None = None,
    columns: Mapping[str, str] | None = None,
    layout: str | None = None,
    strict: bool = False,
) -> Decoded:
    """The whole file as one :class:`Decoded`; ``strict`` raises at the first rejected row."""
    parts = iter_json(source, file=file, columns=columns, layout=layout)
    return Decoded.concat(collect(parts, strict=strict))


def _utf8(line: str) -> str:
    """LineReader gives latin-1 text; JSON is UTF-8."""
    return line.encode("latin-1").decode("utf-8", errors="replace")


def _records(lines: LineReader, file: str) -> Iterator[_Record]:
    """(line, raw, value) per JSON line, or per record of a whole-file JSON array."""
    it = enumerate(lines, start=1)
    start = next(((n, line) for n, line in it if line.strip()), None)
    if start is None:
        raise FormatError(f"{file}: empty JSON file")
    number, first = start
    if first.lstrip("\ufeff").lstrip().startswith("["):
        text = "\n".join([_utf8(first), *(_utf8(x) for _, x in it)])
        yield from _array_records(text, file)
        return
    yield from _line_records(first.lstrip("\ufeff"), number)
    for number, line in it:
        yield from _line_records(line, number)


def _line_records(line: str, number: int) -> Iterator[_Record]:
    if not line.strip():
        yield number, "", None
        return
    text = _utf8(line)
    try:
        yield number, text, json.loads(text)
    except ValueError:
        yield number, text, ValueError


def _array_records(text: str, file: str) -> Iterator[_Record]:
    """Records of a JSON array; AISHub wraps them as ``[{"ERROR": false, ...}, [...]]``."""
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except ValueError as exc:
        raise FormatError(f"{file}: not valid JSON: {exc}") from exc
    items = doc if isinstance(doc, list) else [doc]
    if items and isinstance(items[0], dict) and "ERROR" in items[0]:
        if items[0]["ERROR"]:
            raise FormatError(f"{file}: the AISHub response reports an error: {items[0]}")
        items = [r for part in items[1:] for r in (part if isinstance(part, list) else [part])]
    for i, item in enumerate(items, start=1):
        yield i, json.dumps(item, ensure_ascii=False), item


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def _decode(
    records: Iterator[_Record],
    file: str,
    columns: Mapping[str, str] | None,
    preset: str | None,
    chunk_rows: int,
) -> Iterator[Decoded]:
    source = Path(file).name
    runs = IdentityRuns()  # identity runs joined across chunks, as for CSV
    layout: CsvLayout | None = None
    chunk: list[_Record] = []
    first = True
    for rec in records:
        chunk.append(rec)
        if len(chunk) >= (_HEADER_RECORDS if first else chunk_rows):
            layout = layout or _layout(chunk, columns, preset)
            yield _joined(_decode_chunk(chunk, layout, file, source), runs)
            chunk, first = [], False
    if chunk or layout is None:
        layout = layout or _layout(chunk, columns, preset)
        yield _joined(_decode_chunk(chunk, layout, file, source), runs)
    yield Decoded(identities=runs.flush())


def _joined(decoded: Decoded, runs: IdentityRuns) -> Decoded:
    decoded.identities = runs.add(decoded.identities)
    return decoded


def _layout(
    chunk: list[_Record], columns: Mapping[str, str] | None, preset: str | None
) -> CsvLayout:
    """The header of a JSON file: the keys of its first records, in order of appearance."""
    keys: dict[str, None] = {}
    for _, _, value in chunk:
        if isinstance(value, dict):
            keys.update(dict.fromkeys(value))
    return resolve_header(list(keys), columns=columns, layout=preset)


def _decode_chunk(chunk: list[_Record], layout: CsvLayout, file: str, source: str) -> Decoded:
    good = [r for r in chunk if isinstance(r[2], dict)]
    bad = [r for r in chunk if r[1] and not isinstance(r[2], dict)]
    skipped: Counter[str] = Counter()
    if empty := sum(1 for r in chunk if not r[1]):
        skipped["empty_line"] = empty
    why = ["not a JSON object" if r[2] is not ValueError else "not valid JSON" for r in bad]
    rejects = make_rejects(
        file,
        [r[0] for r in bad],
        [RejectReason.MALFORMED_ROW.value] * len(bad),
        [r[1] for r in bad],
        why,
    )
    fields = {
        f"f{i}": pa.array([_text(r[2].get(name)) for r in good], pa.string())
        for i, name in enumerate(layout.header)
    }
    rows = RowBlock(
        fields=pa.table(fields) if fields else pa.table({"f0": pa.array([], pa.string())}),
        line=pa.array([r[0] for r in good], pa.int64()),
        raw=pa.array([r[1] for r in good], pa.string()),
    )
    return decode_rows(rows, layout, file=file, source=source, rejects=rejects, skipped=skipped)
