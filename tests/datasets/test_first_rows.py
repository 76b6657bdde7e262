"""An export's first bytes go out before its query has read every row (issue 14: first byte under 1 s for
a filtered export of about 100,000 rows, under 2 s for the first download after a bulk load).

On PostgreSQL the export's query reads the rows in the export's order straight off an index and looks
each record's source list up per row: nothing sorts or groups the whole row set before the first row.
A prepared file is built while it is sent, chunk by chunk, or ahead by ``prepare_exports`` (which the
bulk loader runs), so that the first download after a bulk load is a stored file."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict

from datasets import copy, prepared, writers
from datasets.definitions import DATASETS
from datasets.query import Export, build_export
from tests.factories import grow_data

pytestmark = pytest.mark.django_db

# Nodes that read every row below them before they give their first (an Incremental Sort only sorts the
# rows that share the index's leading key, e.g. one pilot's updates on one day, so it streams).
WHOLE_SET_NODES = {"Sort", "Aggregate", "Hash", "Materialize", "WindowAgg", "Unique", "SetOp"}


def _plan(query: str) -> dict:
    sql, params = copy.select_sql(build_export(DATASETS["pilot-updates"], QueryDict(query)))
    with connection.cursor() as cursor:
        # A test database's tables are tiny, and for a few hundred rows a sort is what the planner rightly
        # prefers. With sorting made costly the plan shows whether the rows can come in the export's order
        # at all: a source list grouped over the whole row set cannot.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _path_to(plan: dict, relation: str) -> list[dict]:
    """The nodes from the top of the plan down to the scan of ``relation`` (outside the subplans)."""
    if plan.get("Relation Name") == relation:
        return [plan]
    for child in plan.get("Plans", ()):
        if child.get("Parent Relationship") != "SubPlan" and (path := _path_to(child, relation)):
            return [plan, *path]
    return []


def _subplans(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Parent Relationship") == "SubPlan" else []
    for child in plan.get("Plans", ()):
        found += _subplans(child)
    return found


@pytest.mark.postgresql
@pytest.mark.parametrize("query", ["", "year=2020", "pilot=hackney-health-and-social-care-integration"])
def test_the_export_query_gives_rows_in_order_without_reading_them_all_first(query):
    grow_data(times=2)
    plan = _plan(query)
    path = _path_to(plan, "pilots_pilotupdate")
    assert path and path[-1]["Node Type"] == "Index Scan", plan
    assert not [node["Node Type"] for node in path if node["Node Type"] in WHOLE_SET_NODES], plan


@pytest.mark.postgresql
def test_each_rows_source_list_is_computed_once():
    """The CSV's formatting names each column three times (a CASE): the list is still one subquery a row."""
    subplans = _subplans(_plan("year=2020"))
    assert len(subplans) == 1, subplans


@pytest.mark.postgresql
def test_the_copy_runs_without_jit_and_leaves_the_setting_as_it_was():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")
    assert b"".join(writers.export_csv_chunks(build_export(DATASETS["pilots"], QueryDict())))
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "on"


def test_a_prepared_build_sends_its_first_rows_before_reading_the_rest(client, settings, monkeypatch):
    """Through the Python writer (SQLite's): the first chunk goes out with most rows still unread."""
    grow_data(times=2)
    settings.DATASETS_CSV_COPY = False
    monkeypatch.setattr(writers, "ROWS_PER_CHUNK", 10)
    read = []
    rows = Export.rows

    class Probe:
        def __init__(self, queryset) -> None:
            self.queryset = queryset

        def iterator(self, chunk_size: int):
            for row in self.queryset.iterator(chunk_size=chunk_size):
                read.append(row)
                yield row

    monkeypatch.setattr(Export, "rows", lambda export: Probe(rows(export)))
    response = client.get("/data/pilot-updates.csv")
    chunks = iter(response.streaming_content)
    first = next(chunks)
    total = DATASETS["pilot-updates"].selector().count()
    assert first.startswith(b"pilot_slug,") and first.count(b"\r\n") > 1
    assert len(read) < total / 2
    assert not [name for name in prepared.storage().listdir("pilot-updates")[1] if name.endswith(".csv")]
    rest = b"".join(chunks)
    assert len(read) == total and (first + rest).count(b"\r\n") >= total + 1


def test_prepare_exports_builds_every_whole_file_so_the_first_download_is_stored(client):
    grow_data(times=1)
    out = StringIO()
    call_command("prepare_exports", stdout=out)
    assert out.getvalue().count(": built") == len(DATASETS)
    for name in DATASETS:
        response = client.get(f"/data/{name}.csv")
        assert response.status_code == 200 and response["ETag"], name  # served from the stored file
        live = writers.export_csv_chunks(build_export(DATASETS[name], QueryDict()))
        assert b"".join(response.streaming_content) == b"".join(live)
    again = StringIO()
    call_command("prepare_exports", stdout=again)
    assert again.getvalue().count(": already prepared") == len(DATASETS)
