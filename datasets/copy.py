"""The CSV of a live export on PostgreSQL, written by PostgreSQL's own ``COPY ... TO STDOUT``.

Measured on a million pilot updates (bench/export.py, bench/RESULTS.md section 3): the Python writer
over a server-side cursor spent as much time in Python as PostgreSQL spent computing the rows, one
after the other (and, outside a transaction, Django's WITH HOLD cursor made PostgreSQL compute and
store the whole result before the first byte). With COPY, PostgreSQL formats the rows as it computes
them and Python only passes bytes on, in parallel, through a bounded queue.

The SELECT is the export's own queryset (same column expressions, same FilterSet, same order), each
column wrapped so that the bytes are exactly those of the Python writer (``writers.csv_chunks``):

- text: neutralised against formulas (an apostrophe before ``= + - @ TAB CR``), and an empty string
  written as NULL, because COPY quotes an empty string (``""``) where ``csv.writer`` writes nothing;
- dates: ``YYYY-MM-DD`` whatever the server's DateStyle; numbers: without their storage padding;
- rows end in CRLF: COPY ends them in LF, so LF outside quoted fields becomes CRLF here (a field with
  a line break is quoted by both, and its own line breaks are kept as they are).

The header is written by ``csv.writer`` as in the Python path. Only whole rows are passed on, so if
COPY fails part-way the ``#EXPORT INCOMPLETE`` line of ``writers`` follows the last complete row and
the exception propagates, exactly as in the Python path.

COPY runs on the request's own database connection (so it sees what the request sees, tests'
transactions included), in a worker thread: the request thread does nothing else with the connection
until the thread has ended, and if the download stops early the thread is stopped and the connection
closed (it may be mid-COPY). Point-in-time exports (``?as_of=``) and SQLite keep the Python writer.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterator, Sequence

from django.db import connections

from .definitions import DATE, NUMBER, Column

logger = logging.getLogger("datasets.writers")  # the same log as the Python writer's

CHUNK_BYTES = 64 * 1024  # what the thread hands on at a time
QUEUE_CHUNKS = 16  # at most this many chunks wait for the client: memory stays flat
PUT_WAIT_SECONDS = 0.5  # how often a blocked thread checks whether the download was abandoned
JOIN_SECONDS = 30
# An export's estimated cost is always far above jit_above_cost, and PostgreSQL compiles the query before
# its first row: 0.4-1.3 s before the first byte for the pilot updates, for no gain in a query that
# spends its time in index look-ups (bench/RESULTS.md). Off for the COPY only, as configured after it.
_NO_JIT = "SET jit = off"
_JIT_AS_CONFIGURED = "RESET jit"

# The same characters as writers.FORMULA_TRIGGERS, as SQL literals.
_TRIGGERS_SQL = "'=', '+', '-', '@', chr(9), chr(13)"
_NEUTRALISED = "NULLIF(CASE WHEN left({0}, 1) IN (" + _TRIGGERS_SQL + ") THEN '''' || {0} ELSE {0} END, '')"
_ISO_DATE = "to_char({0}, 'YYYY-MM-DD')"
_PLAIN_NUMBER = "trim_scale({0})::text"  # 2300000000.0000 -> 2300000000, -1.5000 -> -1.5, as writers.format_number


def can_write(export) -> bool:
    """COPY can write this export: live rows (not ``?as_of=``) on PostgreSQL."""
    return export.as_of is None and connections[export.queryset.db].vendor == "postgresql"


def _csv_sql(column: Column, name: str) -> str:
    if column.is_text:
        return _NEUTRALISED.format(name)
    if column.type == DATE:
        return _ISO_DATE.format(name)
    if column.type == NUMBER:
        return _PLAIN_NUMBER.format(name)
    return name


def select_sql(export) -> tuple[str, tuple]:
    """The export's SELECT with every column as the CSV writer would write it, and its parameters.

    The export's own query (its values and order keys, in its order) is a subquery whose columns are
    renamed ``c0 ...`` and ``k0 ...``; the outer SELECT formats the values and keeps the order. So every
    column is a plain name, cheap to mention three times in a CASE. ``OFFSET 0`` keeps PostgreSQL from
    folding the subquery into the outer SELECT, which would put each mention of a column back as its
    expression: a list column (a subquery per row) would run three times a row.
    """
    sql, params = export.queryset.values_list(*export.value_names, *export.key_names).query.sql_with_params()
    values = [f"c{index}" for index in range(len(export.value_names))]
    keys = [f"k{index}" for index in range(len(export.key_names))]
    cells = ", ".join(_csv_sql(column, name) for column, name in zip(export.dataset.columns, values, strict=True))
    order = ", ".join(_order_sql(term, key) for term, key in zip(export.terms, keys, strict=True))
    return (
        f"SELECT {cells} FROM ({sql} OFFSET 0) AS export_rows ({', '.join(values + keys)}) ORDER BY {order}",
        params,
    )


def _order_sql(term, name: str) -> str:
    nulls = "" if term.nulls_last is None else " NULLS LAST" if term.nulls_last else " NULLS FIRST"
    return f"{name} {'DESC' if term.descending else 'ASC'}{nulls}"


class _Abandoned(Exception):
    """Raised inside COPY's write when the download was stopped: aborts the COPY."""


class _QueueWriter:
    """What copy_expert writes into: chunks of about CHUNK_BYTES into a bounded queue."""

    def __init__(self, chunks: queue.Queue, stop: threading.Event) -> None:
        self.chunks, self.stop = chunks, stop
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        if isinstance(data, str):
            data = data.encode()
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.parts:
            self.put(b"".join(self.parts))
            self.parts, self.size = [], 0

    def put(self, item) -> None:
        while True:
            if self.stop.is_set():
                raise _Abandoned
            try:
                self.chunks.put(item, timeout=PUT_WAIT_SECONDS)
                return
            except queue.Full:
                continue


_DONE = object()


def _run_copy(cursor, statement: str, chunks: queue.Queue, stop: threading.Event) -> None:
    writer = _QueueWriter(chunks, stop)
    try:
        cursor.copy_expert(statement, writer, size=CHUNK_BYTES)
        writer.flush()
        writer.put(_DONE)
    except _Abandoned:
        pass
    except BaseException as error:  # handed to the request thread, which logs and re-raises it
        with contextlib.suppress(_Abandoned):
            writer.put(error)


class RowEnds:
    """COPY's CSV (rows ending in LF) as csv.writer's (rows ending in CRLF), whole rows only.

    A double quote toggles "inside a quoted field" (an escaped quote is two, so toggles twice); an LF
    outside quotes ends a row. ``feed`` returns the complete rows so far and keeps the rest.
    """

    def __init__(self) -> None:
        self.pending = b""  # always starts at the beginning of a row, outside quotes

    def feed(self, data: bytes) -> bytes:
        data = self.pending + data if self.pending else data
        if b'"' not in data:
            cut = data.rfind(b"\n") + 1
            self.pending = data[cut:]
            return data[:cut].replace(b"\n", b"\r\n")
        parts = data.split(b'"')
        last = next((i for i in range(len(parts) - 1 - (len(parts) - 1) % 2, -1, -2) if b"\n" in parts[i]), None)
        if last is None:
            self.pending = data
            return b""
        cut = parts[last].rfind(b"\n") + 1
        self.pending = b'"'.join([parts[last][cut:], *parts[last + 1 :]])
        done = [*parts[:last], parts[last][:cut]]
        done[0::2] = [part.replace(b"\n", b"\r\n") for part in done[0::2]]
        return b'"'.join(done)

    def finish(self) -> None:
        if self.pending:
            raise ValueError("COPY output ended part-way through a row")


def copy_csv_chunks(export, header: bytes, columns: Sequence[Column], incomplete: bytes) -> Iterator[bytes]:
    """The CSV file: ``header`` (already encoded, BOM and all), then COPY's rows; on an error part-way,
    ``incomplete`` after the last complete row, then the exception."""
    connection = connections[export.queryset.db]
    sql, params = select_sql(export)
    chunks: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
    stop = threading.Event()
    thread = raw = cursor = None
    ends = RowEnds()
    pending_header = header
    finished = False
    try:
        cursor = connection.cursor()  # opens (or health-checks) the connection in this thread
        cursor.execute(_NO_JIT)
        raw = cursor.cursor
        statement = "COPY (" + raw.mogrify(sql, params).decode() + ") TO STDOUT WITH (FORMAT csv)"
        thread = threading.Thread(target=_run_copy, args=(raw, statement, chunks, stop), name="csv-copy", daemon=True)
        thread.start()
        while True:
            item = chunks.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            rows = ends.feed(item)
            if pending_header:
                rows, pending_header = pending_header + rows, b""
            if rows:
                yield rows
        ends.finish()
        finished = True
        if pending_header:
            yield pending_header
    except Exception:
        logger.exception("CSV export failed part-way")
        yield pending_header + incomplete
        raise
    finally:
        if thread is not None:
            stop.set()
            if not finished and thread.is_alive():
                raw.connection.cancel()  # thread-safe: stops a COPY still computing rows
            thread.join(JOIN_SECONDS)
        if finished:
            cursor.execute(_JIT_AS_CONFIGURED)
            cursor.close()
        elif cursor is not None:
            # The connection may be mid-COPY or in an unknown state: the next use opens a new one.
            connection.close()
