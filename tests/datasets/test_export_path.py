"""The two CSV writers: PostgreSQL's COPY (datasets/copy.py) for live exports on PostgreSQL, the Python
writer everywhere else. They must give the same bytes: on PostgreSQL each export is written by both,
named explicitly, and compared; on SQLite, where COPY cannot run, asking for it is refused."""

import csv
import datetime
import io
import queue
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict

from datasets import copy, writers
from datasets.definitions import DATASETS
from datasets.query import build_export
from tests.factories import KeyFigureFactory, PilotFactory, PilotUpdateFactory, SourceFactory, grow_data

from .helpers import csv_text

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


def awkward_data():
    """Cells that test the CSV contract: formulas, quotes, line breaks, commas, empty and unknown values."""
    pilot = PilotFactory(slug="formula-pilot", title='=HYPERLINK("http://x")')
    sources = [SourceFactory(slug="zz-last"), SourceFactory(slug="aa-first")]
    PilotUpdateFactory(
        pilot=pilot,
        slug="awkward",
        title='=HYPERLINK("http://x")',
        body='+1 and -1\r\nsecond line\nthird, with "quotes"',
        quotation="\tIndented",
        quotation_by='-dash, "quoted"',
        happened_on=None,
        happened_on_precision="",
        sources=sources,
    )
    # A list column is an expression (a subquery), neutralised by a regular expression instead of a CASE.
    PilotUpdateFactory(pilot=pilot, slug="listed", sources=[SourceFactory(slug="mm-middle"), sources[1]])
    PilotUpdateFactory(pilot=pilot, slug="plain", title="@SUM(A1:A2)", body="", happened_on=datetime.date(999, 1, 2))
    KeyFigureFactory(slug="a-fall", value=Decimal("-5.5"), value_as_stated="-5.5%")
    KeyFigureFactory(slug="a-zero", value=Decimal("-0.000"), value_as_stated="nil")
    KeyFigureFactory(slug="a-count", value=Decimal("2300000000"), value_as_stated="£2.3 billion")
    KeyFigureFactory(slug="no-number", value=None, value_as_stated="a third")


EXPORTS = [
    ("pilot-updates", ""),
    ("pilot-updates", "pilot=formula-pilot"),
    ("pilots", ""),
    ("key-figures", ""),
    ("sources", ""),
    ("boroughs", ""),
    ("timeline-events", ""),
    ("pilot-participants", ""),
    ("place-partnerships", ""),
    ("integrated-care-systems", ""),
]


def _written_by(writer: writers.CsvWriter, dataset: str, query: str = "", *, bom: bool = False) -> bytes:
    export = build_export(DATASETS[dataset], QueryDict(query))
    return b"".join(writers.export_csv_chunks(export, bom=bom, writer=writer))


@pytest.mark.parametrize(("dataset", "query"), EXPORTS)
def test_copy_and_python_give_the_same_bytes(dataset, query):
    awkward_data()
    python = _written_by(writers.CsvWriter.PYTHON, dataset, query)
    assert python.endswith(b"\r\n")
    assert b"EXPORT INCOMPLETE" not in python
    if POSTGRES:
        assert _written_by(writers.CsvWriter.COPY, dataset, query) == python
        assert _written_by(writers.CsvWriter.COPY, dataset, query, bom=True) == _written_by(
            writers.CsvWriter.PYTHON, dataset, query, bom=True
        )
    else:  # SQLite has no COPY: asking for it is an error, never a silent fallback
        with pytest.raises(ValueError, match="PostgreSQL only"):
            _written_by(writers.CsvWriter.COPY, dataset, query)


def test_the_awkward_cells_are_written_as_the_contract_says(client):
    awkward_data()
    text = csv_text(client.get("/data/pilot-updates.csv?pilot=formula-pilot"))
    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}

    awkward = rows["awkward"]
    assert awkward["title"] == '\'=HYPERLINK("http://x")'
    assert awkward["body"] == '\'+1 and -1\r\nsecond line\nthird, with "quotes"'
    assert awkward["quotation"] == "'\tIndented"
    assert awkward["quotation_by"] == '\'-dash, "quoted"'
    assert awkward["happened_on"] == "" and awkward["status_after"] == ""
    assert awkward["source_slugs"] == "aa-first;zz-last"
    assert rows["listed"]["source_slugs"] == "aa-first;mm-middle"  # no slug needs neutralising
    assert rows["plain"]["title"] == "'@SUM(A1:A2)"
    assert rows["plain"]["happened_on"] == "0999-01-02"
    assert ",," in text  # empty cells are empty, never ""

    figures = {row["slug"]: row for row in csv.DictReader(io.StringIO(csv_text(client.get("/data/key-figures.csv"))))}
    assert figures["a-fall"]["value"] == "-5.5"
    assert figures["a-fall"]["value_as_stated"] == "'-5.5%"
    assert figures["a-zero"]["value"] == "0"
    assert figures["a-count"]["value"] == "2300000000"
    assert figures["no-number"]["value"] == ""


def test_the_web_exports_use_copy_for_live_rows_on_postgresql_and_python_otherwise(client, settings):
    dataset = DATASETS["pilot-updates"]
    live = build_export(dataset, QueryDict())
    as_of = build_export(dataset, QueryDict(), datetime.date.today())
    settings.DATASETS_CSV_COPY = True
    assert writers.writer_for(live) is (writers.CsvWriter.COPY if POSTGRES else writers.CsvWriter.PYTHON)
    assert writers.writer_for(as_of) is writers.CsvWriter.PYTHON  # history: COPY cannot write it
    with pytest.raises(ValueError):
        b"".join(writers.export_csv_chunks(as_of, writer=writers.CsvWriter.COPY))
    # A clone of the export (another filter, another order) keeps its writer: nothing rides on the queryset.
    filtered = build_export(dataset, QueryDict("pilot=hackney-health-and-social-care-integration&sort=-happened_on"))
    assert writers.writer_for(filtered) is writers.writer_for(live)
    settings.DATASETS_CSV_COPY = False
    assert writers.writer_for(live) is writers.CsvWriter.PYTHON


# --- An error part-way ---------------------------------------------------------------------------


def _fail_part_way(monkeypatch):
    """Make the writer in use fail after some rows have gone out; returns the message."""
    if POSTGRES:
        monkeypatch.setattr(copy, "CHUNK_BYTES", 300)
        real_write, calls = copy._QueueWriter.write, {"n": 0}

        def write_then_fail(self, data):
            calls["n"] += 1
            if calls["n"] > 40:
                raise RuntimeError("database went away")
            return real_write(self, data)

        monkeypatch.setattr(copy._QueueWriter, "write", write_then_fail)
    else:
        monkeypatch.setattr(writers, "ROWS_PER_CHUNK", 5)
        real_cleaner = writers.csv_row_cleaner

        def failing_cleaner(columns):
            clean, count = real_cleaner(columns), 0

            def clean_then_fail(row):
                nonlocal count
                count += 1
                if count > 12:
                    raise RuntimeError("database went away")
                return clean(row)

            return clean_then_fail

        monkeypatch.setattr(writers, "csv_row_cleaner", failing_cleaner)


def test_an_error_part_way_does_not_pass_for_a_complete_file(client, settings, monkeypatch):
    grow_data(times=2)
    settings.DATASETS_CSV_COPY = True
    _fail_part_way(monkeypatch)
    response = client.get("/data/pilot-updates.csv")

    received = []
    with pytest.raises(RuntimeError, match="database went away"):
        for chunk in response.streaming_content:
            received.append(chunk)

    body = b"".join(received)
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert len(rows) > 3  # some rows went out before the failure
    assert rows[-1][0].startswith("#EXPORT INCOMPLETE")
    assert len(rows[-1]) == len(rows[0]) + 1
    # Every row before it is whole: the marker starts a line of its own.
    assert all(len(row) == len(rows[0]) for row in rows[:-1])
    assert body.endswith(b"\r\n") and b"\r\n#EXPORT INCOMPLETE" in body


def test_a_download_stopped_early_stops_the_copy(settings):
    """The client goes away after the first chunk: the COPY thread ends, nothing is left running."""
    grow_data(times=2)
    settings.DATASETS_CSV_COPY = True
    dataset = DATASETS["pilot-updates"]
    old_chunk = copy.CHUNK_BYTES
    copy.CHUNK_BYTES = 200
    try:
        chunks = writers.export_csv_chunks(build_export(dataset, QueryDict()))
        first = next(iter(chunks))
        assert first.startswith(b"pilot_slug,")
        chunks.close()
    finally:
        copy.CHUNK_BYTES = old_chunk
    deadline = time.monotonic() + 10
    while any(thread.name == "csv-copy" for thread in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(thread.name == "csv-copy" for thread in threading.enumerate())
    # The connection may have been left mid-COPY, so it was closed: the next request opens a new one (in
    # this test's transaction Django only marks it closed).
    assert (connection.connection is None or connection.closed_in_transaction) is POSTGRES


# --- Memory stays flat: the queue between COPY and the response is bounded -----------------------


def test_the_copy_thread_waits_when_the_client_is_slow():
    chunks = queue.Queue(maxsize=copy.QUEUE_CHUNKS)
    stop = threading.Event()
    writer = copy._QueueWriter(chunks, stop)
    outcome = {}

    def produce():
        try:
            while True:
                writer.write(b"x" * 1000)
        except copy._Abandoned:
            outcome["stopped"] = True

    thread = threading.Thread(target=produce)
    thread.start()
    time.sleep(0.3)
    # Nobody reads: the producer holds at most QUEUE_CHUNKS chunks of about CHUNK_BYTES, then waits.
    assert chunks.qsize() == copy.QUEUE_CHUNKS
    assert thread.is_alive()
    held = sum(len(chunk) for chunk in list(chunks.queue))
    assert held < 2_000_000  # what a slow client costs the server, whatever the export's size
    stop.set()
    thread.join(5)
    assert outcome == {"stopped": True}


def test_the_copy_queue_is_bounded(monkeypatch, settings):
    sizes = []
    real_queue = queue.Queue

    def recording_queue(maxsize=0):
        sizes.append(maxsize)
        return real_queue(maxsize=maxsize)

    monkeypatch.setattr(copy.queue, "Queue", recording_queue)
    settings.DATASETS_CSV_COPY = True
    dataset = DATASETS["pilots"]
    b"".join(writers.export_csv_chunks(build_export(dataset, QueryDict())))
    assert sizes == ([copy.QUEUE_CHUNKS] if POSTGRES else [])  # SQLite: the Python writer, no queue


# --- Line ends -----------------------------------------------------------------------------------


COPY_OUTPUT = b'a,"x\ny",c\n"q""\n",,\n"",b\n'
WRITER_OUTPUT = b'a,"x\ny",c\r\n"q""\n",,\r\n"",b\r\n'


def test_row_ends_become_crlf_and_line_breaks_inside_fields_are_kept():
    ends = copy.RowEnds()
    assert ends.feed(COPY_OUTPUT) == WRITER_OUTPUT
    ends.finish()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_row_ends_whatever_the_chunk_boundaries(size):
    ends = copy.RowEnds()
    out = []
    for start in range(0, len(COPY_OUTPUT), size):
        piece = ends.feed(COPY_OUTPUT[start : start + size])
        assert piece == b"" or piece.endswith(b"\r\n")  # whole rows only
        out.append(piece)
    ends.finish()
    assert b"".join(out) == WRITER_OUTPUT


def test_a_row_cut_short_is_an_error():
    ends = copy.RowEnds()
    ends.feed(b'a,b\nc,"d')
    with pytest.raises(ValueError):
        ends.finish()
