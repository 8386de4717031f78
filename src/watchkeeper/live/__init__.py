"""Live watch: continuous ingest of AIS feeds with a write-ahead log, and alerts.

The core is pure or file-local: :mod:`.wal` (the write-ahead log of raw lines),
:mod:`.batch` (lines of the log into store batches, never cutting a multi-sentence
message), :mod:`.checkpoint` (what of the log is safely in the store), :mod:`.alerts` (the
alert state machine and its journal), :mod:`.window` (detection over the sliding window).
:mod:`.feeds` and :mod:`.replay` are the socket and file adapters, :mod:`.watch` the loop
that ties them together; ``cli/live.py`` exposes ``watchkeeper watch`` and ``replay``.
"""
