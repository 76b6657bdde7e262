"""Turning rows into CSV bytes and JSON values, following the CSV contract shown on /data/.

Two writers give the same bytes, and an export says which one writes it (``CsvWriter``):

- ``COPY``: PostgreSQL's own ``COPY ... TO STDOUT`` (``datasets/copy.py``: the cleaning below done in
  SQL, measured in bench section 3), for live exports on PostgreSQL;
- ``PYTHON``: rows arrive as tuples (``values_list`` of database-side expressions, read with a
  server-side cursor on PostgreSQL), only text cells are inspected, and rows are written by
  ``csv.writer`` into one small reusable buffer that is emitted as bytes every ``ROWS_PER_CHUNK`` rows;
  for SQLite, ``?as_of=``, plain rows, and wherever ``DATASETS_CSV_COPY = False``.
"""

import csv
import datetime
import enum
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection

from . import copy
from .definitions import NUMBER, Column

if TYPE_CHECKING:
    from .query import Export

logger = logging.getLogger(__name__)

ROWS_PER_CHUNK = 1000
ITERATOR_CHUNK_SIZE = 2000  # rows fetched from the server-side cursor at a time (Python writer)
BOM = "\ufeff"
# A spreadsheet treats a cell starting with one of these as a formula (or a command, via DDE).
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# Written when an export fails part-way, before the connection is aborted: one cell more than the
# header, so that csv readers that check the shape (pandas, frictionless) reject the file.
INCOMPLETE_MESSAGE = "EXPORT INCOMPLETE: an error stopped this download part-way. Download the file again."


def neutralise(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula starts with an apostrophe instead."""
    if value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def format_number(value: Decimal) -> str:
    """A decimal without its storage padding: 2300000000.0000 -> 2300000000, -1.5000 -> -1.5."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def _sort_list(value: str | None) -> str | None:
    return ";".join(sorted(value.split(";"))) if value else value


def csv_row_cleaner(columns: Sequence[Column]) -> Callable[[tuple], Sequence]:
    """A function from a database row to the cells to write. Text cells are neutralised against
    formula injection; numbers are left as numbers (a negative number stays a negative number)."""
    text = [index for index, column in enumerate(columns) if column.is_text]
    numbers = [index for index, column in enumerate(columns) if column.type == NUMBER]
    lists = [index for index, column in enumerate(columns) if column.sorted_list] if _lists_unordered() else []
    triggers = FORMULA_TRIGGERS

    def clean(row: tuple) -> Sequence:
        needs_work = bool(numbers or lists)
        if not needs_work:
            for index in text:
                value = row[index]
                if value and value[0] in triggers:
                    needs_work = True
                    break
            else:
                return row
        cells = list(row)
        for index in lists:
            cells[index] = _sort_list(cells[index])
        for index in text:
            value = cells[index]
            if value and value[0] in triggers:
                cells[index] = "'" + value
        for index in numbers:
            if cells[index] is not None:
                cells[index] = format_number(cells[index])
        return cells

    return clean


def _lists_unordered() -> bool:
    """SQLite's GROUP_CONCAT cannot order; PostgreSQL's STRING_AGG orders in the database."""
    return connection.vendor != "postgresql"


def _csv_line(cells: Sequence) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def incomplete_line(columns: Sequence[Column]) -> bytes:
    return _csv_line(["#" + INCOMPLETE_MESSAGE] + [""] * len(columns))


class CsvWriter(enum.Enum):
    """Who writes an export's CSV. Both give the same bytes (tests/datasets/test_export_path.py)."""

    COPY = "copy"
    PYTHON = "python"


def writer_for(export: "Export") -> CsvWriter:
    """COPY wherever it can write the export, unless turned off with ``DATASETS_CSV_COPY = False``."""
    if getattr(settings, "DATASETS_CSV_COPY", True) and copy.can_write(export):
        return CsvWriter.COPY
    return CsvWriter.PYTHON


def export_csv_chunks(export: "Export", *, bom: bool = False, writer: CsvWriter | None = None) -> Iterator[bytes]:
    """An export's CSV file as a stream of byte chunks, written by ``writer`` (``writer_for`` by default)."""
    columns = export.dataset.columns
    writer = writer or writer_for(export)
    if writer is CsvWriter.COPY:
        if not copy.can_write(export):
            raise ValueError("COPY writes live exports on PostgreSQL only.")
        header = (BOM.encode("utf-8") if bom else b"") + _csv_line([column.name for column in columns])
        return copy.copy_csv_chunks(export, header, columns, incomplete_line(columns))
    return csv_chunks(columns, export.rows().iterator(chunk_size=ITERATOR_CHUNK_SIZE), bom=bom)


def csv_chunks(columns: Sequence[Column], rows: Iterable[tuple], *, bom: bool = False) -> Iterator[bytes]:
    """The CSV file as a stream of byte chunks, written in Python: header, then rows in batches.

    If reading or writing fails part-way, the rows already written are sent, then a final line that
    does not fit the header, and the exception propagates: the server then ends the response
    without the terminating chunk, so HTTP clients report a truncated download instead of a file
    that merely looks shorter.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow([column.name for column in columns])
    clean = csv_row_cleaner(columns)
    iterator = iter(rows)
    try:
        while batch := list(islice(iterator, ROWS_PER_CHUNK)):
            writer.writerows(map(clean, batch))
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode("utf-8")
    except Exception:
        logger.exception("CSV export failed part-way")
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["#" + INCOMPLETE_MESSAGE] + [""] * len(columns))
        yield buffer.getvalue().encode("utf-8")
        raise


def json_row(columns: Sequence[Column], row: Sequence) -> dict:
    """The same names and values as the CSV, as JSON: ISO dates, numbers as numbers, null for unknown.
    Nothing is neutralised: JSON is not opened by spreadsheets."""
    record = {}
    sort_lists = _lists_unordered()
    for column, value in zip(columns, row, strict=False):
        if value == "":
            value = None
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        elif column.sorted_list and sort_lists:
            value = _sort_list(value)
        record[column.name] = value
    return record
