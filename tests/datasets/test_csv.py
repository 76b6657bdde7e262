import csv
import datetime
import io
import re
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import PublicationStatus
from datasets import writers
from datasets.definitions import DATASETS
from sources.models import Source
from tests.factories import KeyFigureFactory, PilotFactory, PilotUpdateFactory, SourceFactory, grow_data

from .helpers import csv_text, read_csv

pytestmark = pytest.mark.django_db

DOCUMENTED = {
    "boroughs": ["gss_code", "name", "kind", "ics_code", "ics_name", "place_partnership_slug"],
    "integrated-care-systems": ["code", "name", "icb_name", "icb_ods_code", "icb_gss_code"],
    "place-partnerships": ["slug", "name", "ics_code"],
    "pilots": ["slug", "title", "theme", "status", "status_as_of", "status_as_of_precision", "status_source_slug"],
    "pilot-participants": ["pilot_slug", "gss_code", "authority_slug", "authority_name"],
    "pilot-updates": ["pilot_slug", "happened_on", "happened_on_precision", "title", "status_after", "source_slugs"],
    "sources": ["slug", "title", "published_on", "published_on_precision"],
    "timeline-events": [
        "slug",
        "title",
        "happened_on",
        "happened_on_precision",
        "note",
        "london_wide",
        "pilot_slugs",
        "authority_gss_codes",
        "ics_codes",
        "source_slugs",
    ],
    "timeline": ["kind", "pilot_slug", "slug", "happened_on", "happened_on_precision", "title", "source_slugs"],
    "key-figures": ["slug", "label", "value", "value_qualifier", "unit", "source_slug"],
    "glossary": ["slug", "term", "abbreviation", "definition", "source_slugs"],
}


def test_every_dataset_is_exported():
    assert set(DATASETS) == set(DOCUMENTED)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_each_csv_parses_into_its_documented_columns(client, name):
    dataset = DATASETS[name]
    response = client.get(f"/data/{name}.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        rf'attachment; filename="london-health-devolution-{name}-\d{{4}}-\d{{2}}-\d{{2}}\.csv"',
        response["Content-Disposition"],
    )
    header, rows = read_csv(response)
    assert header == dataset.column_names
    assert set(DOCUMENTED[name]) <= set(header)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", column) for column in header)
    assert len(rows) == dataset.selector().count() > 0


def test_the_shipped_codes_sit_beside_the_names(client):
    _, rows = read_csv(client.get("/data/boroughs.csv"))
    hackney = next(row for row in rows if row["gss_code"] == "E09000012")
    assert hackney["name"] == "Hackney"
    assert hackney["ics_code"] == "NEL"
    assert hackney["ics_name"] == "North East London"
    assert hackney["place_partnership_slug"] == "city-and-hackney"

    _, rows = read_csv(client.get("/data/integrated-care-systems.csv"))
    ncl = next(row for row in rows if row["code"] == "NCL")
    assert (ncl["icb_ods_code"], ncl["icb_gss_code"]) == ("QMJ", "E54000028")


def test_dates_are_iso_with_their_precision_and_unknown_values_are_empty_cells(client):
    undated = SourceFactory(title="An undated report", published_on=None, published_on_precision="")
    SourceFactory(
        title="A source from March 2019", published_on=datetime.date(2019, 3, 1), published_on_precision="month"
    )

    _, rows = read_csv(client.get("/data/sources.csv"))
    by_title = {row["title"]: row for row in rows}

    assert by_title[undated.title]["published_on"] == ""
    assert by_title[undated.title]["published_on_precision"] == ""
    assert by_title["A source from March 2019"]["published_on"] == "2019-03-01"
    assert by_title["A source from March 2019"]["published_on_precision"] == "month"


def test_a_formula_in_a_title_is_neutralised(client):
    PilotFactory(slug="formula", title='=HYPERLINK("http://x")')
    PilotUpdateFactory(title="@SUM(A1:A2)", body="+1 and -1\r\n", quotation="\tIndented")

    _, pilots = read_csv(client.get("/data/pilots.csv"))
    _, updates = read_csv(client.get("/data/pilot-updates.csv"))

    assert next(row for row in pilots if row["slug"] == "formula")["title"] == '\'=HYPERLINK("http://x")'
    update = next(row for row in updates if row["title"].startswith("'@"))
    assert update["title"] == "'@SUM(A1:A2)"
    assert update["body"] == "'+1 and -1\r\n"
    assert update["quotation"] == "'\tIndented"


def test_a_negative_number_stays_a_number(client):
    KeyFigureFactory(slug="a-fall", value=Decimal("-5.5"), value_as_stated="-5.5%")
    KeyFigureFactory(slug="a-count", value=Decimal("1200"), value_as_stated="1,200")

    _, rows = read_csv(client.get("/data/key-figures.csv"))
    by_slug = {row["slug"]: row for row in rows}

    assert by_slug["a-fall"]["value"] == "-5.5"
    assert by_slug["a-fall"]["value_as_stated"] == "'-5.5%"  # text: neutralised
    assert by_slug["a-count"]["value"] == "1200"


def test_source_slugs_list_only_published_sources_in_alphabetical_order(client):
    sources = [
        SourceFactory(slug="zz-last"),
        SourceFactory(slug="aa-first"),
        SourceFactory(slug="mm-draft", publication_status=PublicationStatus.DRAFT),
    ]
    update = PilotUpdateFactory(sources=sources)

    _, rows = read_csv(client.get("/data/pilot-updates.csv"))

    row = next(row for row in rows if row["slug"] == update.slug)
    assert row["source_slugs"] == "aa-first;zz-last"


def test_exports_show_published_records_only(client):
    PilotFactory(slug="a-draft-pilot", publication_status=PublicationStatus.DRAFT)
    hidden_pilot = PilotFactory(slug="withdrawn-pilot", publication_status=PublicationStatus.WITHDRAWN)
    PilotUpdateFactory(slug="update-of-withdrawn-pilot", pilot=hidden_pilot)

    _, pilots = read_csv(client.get("/data/pilots.csv"))
    _, updates = read_csv(client.get("/data/pilot-updates.csv"))

    assert {"a-draft-pilot", "withdrawn-pilot"}.isdisjoint(row["slug"] for row in pilots)
    assert "update-of-withdrawn-pilot" not in {row["slug"] for row in updates}


def test_bom_is_added_only_when_asked_for(client):
    plain = csv_text(client.get("/data/boroughs.csv"))
    with_bom = csv_text(client.get("/data/boroughs.csv?bom=1"))

    assert not plain.startswith("\ufeff")
    assert with_bom == "\ufeff" + plain
    assert client.get("/data/boroughs.csv?bom=yes").status_code == 400


def test_a_complete_file_ends_with_a_line_break_after_the_last_row(client):
    text = csv_text(client.get("/data/pilots.csv"))
    assert text.endswith("\r\n")
    assert "EXPORT INCOMPLETE" not in text


def test_unknown_dataset_is_not_found(client):
    assert client.get("/data/nothing.csv").status_code == 404
    assert client.get("/data/nothing.json").status_code == 404


def test_exports_are_read_only(client):
    assert client.post("/data/pilots.csv").status_code == 405
    assert client.post("/data/pilots.json").status_code == 405


@pytest.mark.parametrize("name", ["pilots", "pilot-updates", "timeline-events", "key-figures", "pilot-participants"])
def test_the_number_of_queries_does_not_grow_with_the_data(client, name, settings):
    settings.EXPORT_RATE_LIMIT = 0  # the export's own queries (the limit's count is tested on its own)
    with CaptureQueriesContext(connection) as before:
        b"".join(client.get(f"/data/{name}.csv").streaming_content)
    grow_data(times=1)
    with CaptureQueriesContext(connection) as after:
        _, rows = read_csv(client.get(f"/data/{name}.csv"))

    assert len(rows) >= 10
    # The cache generation, the data's version (one query of index look-ups) and the rows.
    assert len(after.captured_queries) == len(before.captured_queries) <= 3


# --- Streaming -----------------------------------------------------------------------------------


def test_the_csv_is_streamed_in_batches_of_rows(client, monkeypatch, settings):
    settings.DATASETS_CSV_COPY = False  # the Python writer's batches (COPY's: tests/datasets/test_export_path.py)
    monkeypatch.setattr(writers, "ROWS_PER_CHUNK", 10)
    grow_data(times=2)

    response = client.get("/data/pilot-updates.csv")

    assert response.streaming
    chunks = list(response.streaming_content)
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode(), newline="")))
    assert len(chunks) == -(-(len(rows) - 1) // 10)  # header goes out with the first batch
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)


def test_an_error_part_way_does_not_pass_for_a_complete_file(client, monkeypatch, settings):
    settings.DATASETS_CSV_COPY = False  # the Python writer (COPY's: tests/datasets/test_export_path.py)
    monkeypatch.setattr(writers, "ROWS_PER_CHUNK", 5)
    grow_data(times=2)
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
    response = client.get("/data/pilot-updates.csv")

    received = []
    with pytest.raises(RuntimeError, match="database went away"):
        for chunk in response.streaming_content:
            received.append(chunk)
    # The server sees the exception and aborts the response (no terminating chunk); what did arrive
    # ends with a line that does not fit the header, so the file fails any shape check.
    rows = list(csv.reader(io.StringIO(b"".join(received).decode(), newline="")))
    assert rows[-1][0].startswith("#EXPORT INCOMPLETE")
    assert len(rows[-1]) == len(rows[0]) + 1
    assert len(rows) - 2 == 10  # the two full batches before the failure


def test_memory_stays_flat_however_many_rows():
    dataset = DATASETS["pilot-updates"]
    row = ("a-pilot", "an-update", datetime.date(2020, 1, 1), "day", "A title", "A body " * 20, "", "", "", "a;b")

    def peak_for(count: int) -> int:
        tracemalloc.start()
        for _chunk in writers.csv_chunks(dataset.columns, (row for _ in range(count))):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small, large = peak_for(2_000), peak_for(50_000)
    assert large < small * 1.5
    assert large < 5_000_000


def test_a_participant_rows_authority_slug_is_what_the_borough_filter_takes(client):
    _, rows = read_csv(client.get("/data/pilot-participants.csv"))
    slug = rows[0]["authority_slug"]

    _, filtered = read_csv(client.get(f"/data/pilot-participants.csv?borough={slug}"))

    assert filtered and {row["authority_slug"] for row in filtered} == {slug}
    assert {row["gss_code"] for row in filtered} == {rows[0]["gss_code"]}


def test_every_pilot_exports_its_status_date_and_source(client):
    _, rows = read_csv(client.get("/data/pilots.csv"))
    published_sources = set(Source.objects.public().values_list("slug", flat=True))

    assert len(rows) == 5
    for row in rows:
        assert row["status_as_of"] and row["status_as_of_precision"] in {"day", "month", "year"}
        assert row["status_source_slug"] in published_sources
        assert row["status_evidence"]
    haringey = next(row for row in rows if row["slug"] == "haringey-prevention")
    assert (haringey["status_as_of"], haringey["status_as_of_precision"]) == ("2016-01-01", "year")


def test_timeline_events_export_their_links_and_notes(client):
    _, rows = read_csv(client.get("/data/timeline-events.csv"))
    by_slug = {row["slug"]: row for row in rows}

    five_ps = by_slug["london-councils-five-ps"]
    assert five_ps["london_wide"] == "true" and five_ps["authority_gss_codes"] == ""
    assert five_ps["pilot_slugs"].split(";") == sorted(
        [
            "barking-dagenham-havering-redbridge-accountable-care",
            "hackney-health-and-social-care-integration",
            "lewisham-physical-and-mental-health-integration",
        ]
    )
    assert five_ps["ics_codes"] == "NCL;NEL;NWL;SEL;SWL"
    merger = by_slug["ncl-nwl-icb-boards-endorse-merger"]
    assert merger["london_wide"] == "false" and len(merger["authority_gss_codes"].split(";")) == 13
    assert by_slug["london-estates-board-formed"]["note"].startswith("Sources disagree")


def test_key_figures_export_the_qualifier_and_the_glossary_its_sources(client):
    _, figures = read_csv(client.get("/data/key-figures.csv"))
    over = next(row for row in figures if row["slug"] == "london-residents-65-plus-growth")
    assert (over["value"], over["value_qualifier"]) == ("44", "over")

    _, terms = read_csv(client.get("/data/glossary.csv"))
    assert len(terms) >= 15 and all(row["source_slugs"] for row in terms)


def test_the_glossary_page_and_its_download_list_the_same_terms_in_the_same_order(client):
    page = client.get("/glossary/").content.decode()
    on_page = re.findall(r'<dt class="govuk-heading-m[^"]*" id="([^"]+)"', page)
    _, terms = read_csv(client.get("/data/glossary.csv"))
    assert on_page and on_page == [row["slug"] for row in terms]
