"""CSV positions (MarineCadastre and any mapped CSV) into positions, identities and rejects.

The file is read in line-aligned blocks of bytes (bounded memory), each block parsed by
Arrow with every field as text; numbers and times are then converted here, so that one bad
value quarantines its own row (``malformed_row``, ``bad_timestamp``) and never the chunk.
Each row gives a position; a row carrying static fields (name, IMO, call sign, type,
dimensions, draught) is also an identity report at its time; consecutive equal reports of a
vessel are stored as one run with its count (see ``identity_runs``).

>>> import io
>>> data = b"MMSI,BaseDateTime,LAT,LON\\n366999999,2022-01-03T00:00:00,37.8,-122.4\\n"
>>> read_csv(io.BytesIO(data)).positions.num_rows
1
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from watchkeeper.errors import FormatError
from watchkeeper.ingest.csv_layout import CsvLayout, resolve_layout
from watchkeeper.ingest.csv_rows import (
    RowBlock,
    convert_rows,
    split_lines_one_by_one,
    static_key,
)
from watchkeeper.ingest.identity_runs import IdentityRuns
from watchkeeper.ingest.options import collect
from watchkeeper.ingest.sources import InflatingReader, Source, open_source
from watchkeeper.ingest.validate import (
    candidate_names,
    make_rejects,
    validate_identities,
    validate_positions,
)
from watchkeeper.schema import IDENTITIES, TIMESTAMP, Decoded, RejectReason

__all__ = ["DEFAULT_CHUNK_BYTES", "decode_rows", "iter_csv", "read_csv"]

#: Bytes of text per chunk: ~80,000 MarineCadastre rows, a few tens of MB of Arrow memory.
DEFAULT_CHUNK_BYTES = 8 << 20
_MAX_LINE_BYTES = 64 << 20  # a "line" longer than this is binary data, not a CSV row
_DAY = 86_400_000  # ms: identity runs are cut at UTC midnight (stored by day)


@dataclass
class _Block:
    """Lines of one chunk: their text and the 1-based line number of the first."""

    lines: list[str]
    first_line: int
    unterminated: bool = False  # the last line had no newline: the file ended there
    cut: str | None = None  # why the stream ended early, when this line is its partial end


def iter_csv(
    source: Source,
    *,
    file: str | None = None,
    columns: Mapping[str, str] | None = None,
    layout: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_BYTES,
) -> Iterator[Decoded]:
    """Decode a CSV file or binary stream (plain, gzip, zstd or zip) chunk by chunk.

    ``file`` names the source in ``rejects`` (default: the path, or the stream's name);
    ``positions.source`` is its base name. ``columns`` maps canonical names (``mmsi``,
    ``ts``, ``lat``, ``lon``, ``sog_kn``, ...) to column specs (``SPEED/10``, ``A+B``,
    ``-``); ``layout`` forces a provider preset (:mod:`watchkeeper.ingest.layouts`), else
    one is detected from the header. Raises :class:`FormatError` when mmsi, ts, lat or lon
    is missing.
    """
    stream, name, owned = open_source(source, file)
    try:
        yield from _decode_stream(stream, name, columns, layout, chunk_size)
    finally:
        if owned:
            stream.close()


def read_csv(
    source: Source,
    *,
    file: str | None = None,
    columns: Mapping[str, str] | None = None,
    layout: str | None = None,
    strict: bool = False,
) -> Decoded:
    """The whole file as one :class:`Decoded`; ``strict`` raises at the first rejected row."""
    parts = iter_csv(source, file=file, columns=columns, layout=layout)
    return Decoded.concat(collect(parts, strict=strict))


def _decode_stream(
    stream: InflatingReader,
    file: str,
    columns: Mapping[str, str] | None,
    preset: str | None,
    chunk_size: int,
) -> Iterator[Decoded]:
    blocks = _blocks(stream, chunk_size)
    first = next(blocks, None)
    if first is None or not first.lines or not first.lines[0].strip():
        raise FormatError(f"{file}: empty CSV file, no header")
    layout = resolve_layout(first.lines[0], columns, preset)
    source = Path(file).name
    first.lines, first.first_line = first.lines[1:], first.first_line + 1
    partial = False
    runs = IdentityRuns()  # runs joined across chunks: the same rows whatever the chunk size
    for block in itertools.chain([first], blocks):
        block.cut = stream.truncated if block.unterminated else None
        partial = block.cut is not None
        decoded = _decode_block(block, layout, file, source)
        decoded.identities = runs.add(decoded.identities)
        yield decoded
    yield Decoded(identities=runs.flush())
    if stream.truncated is not None and not partial:  # cut at a line boundary
        reason = [RejectReason.TRUNCATED.value]
        yield Decoded(rejects=make_rejects(file, [None], reason, [None], [stream.truncated]))


def _blocks(stream: InflatingReader, chunk_size: int) -> Iterator[_Block]:
    """Line-aligned blocks of decoded text; a final line without newline comes last."""
    tail = b""
    line = 1
    while block := _fill(stream, chunk_size):
        data = tail + block
        cut = data.rfind(b"\n")
        if cut < 0:
            if len(data) > _MAX_LINE_BYTES:
                raise FormatError(f"no line break in the first {len(data):,} bytes: not a CSV")
            tail = data
            continue
        tail = data[cut + 1 :]
        lines = _text(data[:cut]).split("\n")
        yield _Block(lines, line)
        line += len(lines)
    if tail.strip():
        yield _Block([_text(tail)], line, unterminated=True)


def _fill(stream: InflatingReader, size: int) -> bytes:
    """About ``size`` bytes (less only at the end): decompressors return small pieces."""
    pieces: list[bytes] = []
    total = 0
    while total < size and (piece := stream.read(size - total)):
        pieces.append(piece)
        total += len(piece)
    return b"".join(pieces)


def _text(data: bytes) -> str:
    """UTF-8, or latin-1 (never fails, keeps every byte) for a chunk that is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "") if "\r" in text else text


def _decode_block(block: _Block, layout: CsvLayout, file: str, source: str) -> Decoded:
    rows, rejects, skipped = _split_rows(block, layout, file)
    return decode_rows(rows, layout, file=file, source=source, rejects=rejects, skipped=skipped)


def decode_rows(
    rows: RowBlock,
    layout: CsvLayout,
    *,
    file: str,
    source: str,
    rejects: pa.Table,
    skipped: Counter[str],
) -> Decoded:
    """Text fields of tabular rows (CSV lines, JSON records) into one :class:`Decoded`."""
    cand, more_rejects = convert_rows(rows, layout, file=file, source=source)
    positions, pos_rejects = validate_positions(cand, file=file)
    identities = _report_runs(cand, file)
    all_rejects = pa.concat_tables([rejects, more_rejects, pos_rejects])
    order = pc.sort_indices(all_rejects, [("line", "ascending")])
    return Decoded(positions, identities, all_rejects.take(order), skipped)


def _split_rows(
    block: _Block, layout: CsvLayout, file: str
) -> tuple[RowBlock, pa.Table, Counter[str]]:
    """Parse the lines of a block; quarantine the ones that are not one well-formed row."""
    text = pa.array(block.lines, pa.string())
    n = len(text)
    numbers = np.arange(block.first_line, block.first_line + n, dtype=np.int64)
    empty = np.asarray(pc.equal(pc.utf8_trim_whitespace(text), "")).astype(bool)
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, None, dtype=object)
    quotes = np.asarray(pc.count_substring(text, '"').to_numpy(zero_copy_only=False))
    _mark(reason, detail, (quotes % 2 == 1) & ~empty, "unbalanced quote")
    if block.cut is not None and n:  # the stream broke off inside this line
        reason[-1], detail[-1] = RejectReason.TRUNCATED.value, block.cut
    parse = ~empty & (reason == "")
    parsed, invalid = _parse_lines(list(itertools.compress(block.lines, parse)), layout)
    good = np.flatnonzero(parse)
    keep = np.delete(good, invalid)
    if parsed.num_rows != len(keep):
        raise FormatError(f"{file}: CSV rows and lines disagree near line {block.first_line}")
    wrong = np.zeros(n, dtype=bool)
    wrong[good[invalid]] = True
    _mark(reason, detail, wrong, f"expected {layout.n_fields} fields")
    if block.unterminated and n and wrong[-1]:  # a short last line without newline
        reason[-1], detail[-1] = RejectReason.TRUNCATED.value, "the file ends inside this row"
    bad = reason != ""
    rejects = make_rejects(
        file,
        numbers[bad].tolist(),
        reason[bad].tolist(),
        text.filter(pa.array(bad)),
        detail[bad].tolist(),
    )
    rows = RowBlock(fields=parsed, line=pa.array(numbers[keep]), raw=text.take(pa.array(keep)))
    skipped: Counter[str] = Counter()
    if empty.any():
        skipped["empty_line"] = int(empty.sum())
    return rows, rejects, skipped


def _mark(reason: np.ndarray, detail: np.ndarray, mask: np.ndarray, why: str) -> None:
    """Make the rows of ``mask`` malformed (in place), saying why."""
    reason[mask] = RejectReason.MALFORMED_ROW.value
    detail[mask] = why


def _parse_lines(lines: list[str], layout: CsvLayout) -> tuple[pa.Table, np.ndarray]:
    """All fields as text, and the indices (into ``lines``) of rows with a wrong field count."""
    names = [f"f{i}" for i in range(layout.n_fields)]
    if not lines:
        return pa.table({n: pa.array([], pa.string()) for n in names}), np.zeros(0, np.int64)
    invalid: list[int] = []

    def handler(row: pcsv.InvalidRow) -> str:
        invalid.append(row.number - 1)  # 1-based among the rows given (serial parse)
        return "skip"

    table = pcsv.read_csv(
        pa.py_buffer(("\n".join(lines) + "\n").encode("utf-8")),
        read_options=pcsv.ReadOptions(column_names=names, use_threads=False),
        parse_options=pcsv.ParseOptions(
            delimiter=layout.delimiter, invalid_row_handler=handler, newlines_in_values=False
        ),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if table.num_rows + len(invalid) != len(lines):  # a stray quote joined lines
        table, invalid = split_lines_one_by_one(lines, layout.delimiter, layout.n_fields)
    return table, np.asarray(invalid, dtype=np.int64)


def _report_runs(cand: pa.Table, file: str) -> pa.Table:
    """The rows' static fields as identity reports, grouped into runs within the chunk.

    Every row with static fields is a report of its vessel's identity (MarineCadastre repeats
    them on each row), so each counts, at its time, like an AIS type 5 (docs/ingest.md, "One
    identity model"). Consecutive rows of one MMSI with the same fields become one run (first
    and last time, number of rows) before validation, which keeps a chunk
    of ~80,000 rows to a few hundred identity rows; the ingest joins runs across chunks
    (:class:`~watchkeeper.ingest.identity_runs.IdentityRuns`). Rows that validation rejects
    are already rejected as positions, so identity rejects are not counted twice.
    """
    cand = cand.select([*candidate_names(IDENTITIES), "_line", "_raw"])
    keys = static_key(cand)
    reports = pc.and_(pc.is_valid(keys), pc.is_valid(cand.column("ts")))
    cand = cand.filter(reports)
    if cand.num_rows == 0:
        return validate_identities(cand, file=file)[0]
    keys = _codes(keys.filter(reports))
    mmsi = pc.fill_null(cand.column("mmsi"), -1).to_numpy()
    ms = pc.cast(cand.column("ts"), pa.int64()).to_numpy()
    order = np.argsort(mmsi, kind="stable")  # file order within each MMSI
    m, k, t = mmsi[order], keys[order], ms[order]
    new = np.r_[True, (m[1:] != m[:-1]) | (k[1:] != k[:-1]) | (t[1:] // _DAY != t[:-1] // _DAY)]
    starts = np.flatnonzero(new)
    per_group = np.diff(np.append(starts, len(m)))
    runs = cand.take(pa.array(order[starts]))
    runs = runs.append_column("ts_last", pa.array(np.maximum.reduceat(t, starts)).cast(TIMESTAMP))
    runs = runs.append_column("n_reports", pa.array(per_group.astype(np.int32)))
    first = pa.array(np.minimum.reduceat(t, starts)).cast(TIMESTAMP)
    runs = runs.set_column(runs.schema.get_field_index("ts"), "ts", first)
    identities, _ = validate_identities(runs, file=file)
    return identities.filter(pc.is_valid(static_key(identities)))  # all fields were padding


def _codes(keys: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An integer per distinct key (cheaper to compare than the strings)."""
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    return np.asarray(pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False))
