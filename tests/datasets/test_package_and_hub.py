"""The hub page, datapackage.json and all.zip: all generated from the dataset definitions."""

import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from frictionless import validate

from datasets.definitions import DATASETS
from tests.factories import KeyFigureFactory, PilotFactory, PilotUpdateFactory, SourceFactory, grow_data

from .helpers import csv_text

pytestmark = pytest.mark.django_db


def awkward_records():
    """Records that test the CSV rules: a formula, a negative number, an undated source, commas, quotes, lines."""
    PilotFactory(slug="formula", title='=HYPERLINK("http://x")', aims='First, "quoted" aim\nSecond aim')
    KeyFigureFactory(slug="negative", value=Decimal("-12.25"), value_as_stated="-12.25")
    KeyFigureFactory(slug="no-number", value=None, value_as_stated="a third")
    SourceFactory(slug="undated", published_on=None, published_on_precision="")
    PilotUpdateFactory(slug="undated-update", happened_on=None, happened_on_precision="")


def test_the_data_package_and_every_csv_validate_with_frictionless(client, tmp_path):
    awkward_records()
    descriptor = client.get("/data/datapackage.json")
    assert descriptor.status_code == 200
    (tmp_path / "datapackage.json").write_bytes(descriptor.content)
    for name in DATASETS:
        (tmp_path / f"{name}.csv").write_text(csv_text(client.get(f"/data/{name}.csv")), encoding="utf-8")

    report = validate(str(tmp_path / "datapackage.json"))

    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == len(DATASETS)


def test_the_package_describes_every_column_with_keys(client):
    package = client.get("/data/datapackage.json").json()

    assert package["profile"] == "tabular-data-package"
    assert package["licenses"][0]["name"] == "OGL-UK-3.0"
    resources = {resource["name"]: resource for resource in package["resources"]}
    assert list(resources) == list(DATASETS)
    for name, dataset in DATASETS.items():
        schema = resources[name]["schema"]
        assert [field["name"] for field in schema["fields"]] == dataset.column_names
        assert all(field["description"] and "example" in field for field in schema["fields"])
        assert schema["primaryKey"] == list(dataset.primary_key)
        assert resources[name]["path"] == f"{name}.csv"
    assert resources["boroughs"]["schema"]["foreignKeys"] == [
        {"fields": ["ics_code"], "reference": {"resource": "integrated-care-systems", "fields": ["code"]}},
        {"fields": ["place_partnership_slug"], "reference": {"resource": "place-partnerships", "fields": ["slug"]}},
    ]
    assert resources["pilot-updates"]["schema"]["foreignKeys"][0]["reference"]["resource"] == "pilots"


def test_all_zip_holds_every_csv_the_package_and_a_readme_and_validates(client, tmp_path):
    awkward_records()
    response = client.get("/data/all.zip")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert re.fullmatch(r'attachment; filename="london-health-devolution-all-\d{4}-\d{2}-\d{2}\.zip"',
                        response["Content-Disposition"])  # fmt: skip
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert set(archive.namelist()) == {"README.txt", "datapackage.json", *(f"{name}.csv" for name in DATASETS)}
    readme = archive.read("README.txt").decode()
    assert "Open Government Licence v3.0" in readme and "Cite as: London Health Devolution Portal (" in readme
    assert archive.read("pilots.csv").decode() == csv_text(client.get("/data/pilots.csv"))

    archive.extractall(tmp_path)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])


def test_the_hub_lists_every_dataset_with_its_dictionary_licence_and_citation(client):
    response = client.get("/data/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Open Government Licence v3.0" in html
    for rule in ("UTF-8", "snake_case", "ISO 8601", "_precision", "An empty cell", "?bom=1", "apostrophe"):
        assert rule in html
    for name, dataset in DATASETS.items():
        assert f'id="dataset-{name}"' in html
        assert dataset.title in html and dataset.description.replace("'", "&#x27;") in html
        assert f'href="/data/{name}.csv"' in html and f'href="/data/{name}.json"' in html
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in html
        assert re.search(
            rf"London Health Devolution Portal \(\d{{4}}\)\. {re.escape(dataset.title)} \[data set\]\. "
            rf"Accessed \d{{1,2}} [A-Z][a-z]+ \d{{4}}\. http://testserver/data/{name}\.csv",
            html,
        )
    assert 'href="/data/datapackage.json"' in html and 'href="/data/all.zip"' in html
    assert html.count('class="govuk-details"') == len(DATASETS)


def test_the_hub_shows_row_counts(client):
    html = client.get("/data/").content.decode()
    count = DATASETS["boroughs"].selector().count()
    assert re.search(rf'Rows</dt>\s*<dd class="govuk-summary-list__value">{count}</dd>', html)


def hub_rows(client) -> dict[str, int]:
    """Each dataset's row count as the hub shows it, by dataset name."""
    html = client.get("/data/").content.decode()
    pattern = r"<code>([a-z-]+)</code></dd>\s*</div>\s*<div[^>]*>\s*<dt[^>]*>Rows</dt>\s*<dd[^>]*>(\d+)</dd>"
    return {name: int(number) for name, number in re.findall(pattern, html)}


def test_the_hub_counts_every_dataset_in_one_query_whatever_the_data(client):
    with CaptureQueriesContext(connection) as before:
        client.get("/data/")
    grow_data(times=1)
    with CaptureQueriesContext(connection) as after:
        client.get("/data/")

    # The page cache's generation, the last-updated dates, and one query of every count.
    assert len(after.captured_queries) == len(before.captured_queries) == 3
    assert sum("COUNT(*)" in query["sql"] for query in after.captured_queries) == 1


def test_the_hub_counts_again_only_after_a_change_and_then_shows_the_new_counts(client, settings):
    settings.PAGE_CACHE_SECONDS = 300  # as deployed: the counts are kept while nothing changes
    before = hub_rows(client)
    with CaptureQueriesContext(connection) as unchanged:
        client.get("/data/?another=page")  # not the stored page: the hub is drawn again
    PilotUpdateFactory(pilot=PilotFactory())

    assert any("MAX(" in query["sql"] for query in unchanged.captured_queries)
    assert not any("COUNT(*)" in query["sql"] for query in unchanged.captured_queries)
    after = hub_rows(client)
    assert set(after) == set(DATASETS)
    assert after == {name: dataset.selector().count() for name, dataset in DATASETS.items()}
    assert after["pilot-updates"] == before["pilot-updates"] + 1 and after["pilots"] == before["pilots"] + 1
    assert after["timeline"] == before["timeline"] + 1


def test_the_descriptor_is_open_to_other_sites(client):
    response = client.get("/data/datapackage.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    json.loads(response.content)


def test_all_zip_as_of_a_date_holds_the_datasets_that_have_a_history_and_validates(client, tmp_path):
    today = timezone.localdate().isoformat()
    response = client.get(f"/data/all.zip?as_of={today}")

    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    with_history = {f"{name}.csv" for name, dataset in DATASETS.items() if not dataset.no_as_of_reason}
    assert "timeline.csv" not in with_history
    assert set(archive.namelist()) == {"README.txt", "datapackage.json", *with_history}
    archive.extractall(tmp_path)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])


def test_the_package_version_is_the_newest_in_the_changelog(client):
    changelog = (Path(__file__).resolve().parents[2] / "CHANGELOG.md").read_text()
    newest = re.search(r"^## ([0-9]+\.[0-9]+\.[0-9]+)$", changelog, re.M).group(1)

    assert client.get("/data/datapackage.json").json()["version"] == newest == "2.0.0"
