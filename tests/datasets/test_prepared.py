"""Whole-dataset CSVs and the zip are prepared files: the same bytes as the live export, replaced after
any change, served with ETag, Last-Modified, byte ranges and gzip."""

import gzip
import io
import os
import zipfile

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from datasets import prepared
from datasets.definitions import DATASETS
from datasets.query import build_export
from datasets.writers import export_csv_chunks
from tests.factories import PilotUpdateFactory, SourceFactory, grow_data

pytestmark = pytest.mark.django_db

URL = "/data/pilot-updates.csv"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def live_bytes(dataset: str = "pilot-updates") -> bytes:
    return b"".join(export_csv_chunks(build_export(DATASETS[dataset], QueryDict())))


def stored_files() -> list[str]:
    root = storages["exports"].location
    return sorted(
        os.path.relpath(os.path.join(folder, name), root) for folder, _, names in os.walk(root) for name in names
    )


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_a_prepared_export_is_byte_identical_to_the_live_one(client, dataset):
    grow_data(times=1)
    first = client.get(f"/data/{dataset}.csv")  # builds the file while sending it
    built = body(first)
    second = client.get(f"/data/{dataset}.csv")  # from the file

    assert first.status_code == second.status_code == 200
    assert built == body(second) == live_bytes(dataset)
    assert "ETag" not in first and second["ETag"]
    assert int(second["Content-Length"]) == len(live_bytes(dataset))


def test_the_prepared_file_is_replaced_after_any_change(client):
    update = PilotUpdateFactory(title="Before the change")
    body(client.get(URL))
    served = client.get(URL)
    assert b"Before the change" in body(served)
    old_etag = served["ETag"]
    assert old_etag

    update.title = "After the change"
    update.save()

    after = body(client.get(URL))
    assert b"After the change" in after and b"Before the change" not in after
    assert after == live_bytes()
    again = client.get(URL)
    assert again["ETag"] != old_etag and body(again) == after
    assert len([name for name in stored_files() if name.startswith("pilot-updates/")]) == 1  # the old one went


def test_the_data_version_reads_tables_not_the_timeline_view():
    """A view's newest id is a scan of every row it shows (0.3-0.8 s on every download at scale 100); the
    tables behind the timeline view are read anyway."""
    with CaptureQueriesContext(connection) as captured:
        version = prepared.data_version(connection.alias)
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert "pilots_timelineentry" not in sql
    assert "pilots_timelineevent" in sql and "pilots_pilotupdate" in sql

    PilotUpdateFactory()  # a change to a table the view shows still makes a new version
    assert prepared.data_version(connection.alias) != version


def test_a_change_to_a_linked_record_or_a_link_replaces_it_too(client):
    source = SourceFactory(slug="a-linked-source")
    update = PilotUpdateFactory(sources=[source, SourceFactory(slug="another-source")])
    assert b"a-linked-source" in body(client.get(URL))

    update.sources.remove(source)  # a link removed: the owner's history records it
    assert b"a-linked-source" not in body(client.get(URL))

    update.sources.add(source)
    assert b"a-linked-source" in body(client.get(URL))
    source.publication_status = "draft"  # another table: the update's source list changes
    source.save()
    assert b"a-linked-source" not in body(client.get(URL))
    assert body(client.get(URL)) == live_bytes()


def test_if_none_match_gets_304_and_head_gets_the_headers(client):
    body(client.get(URL))
    served = client.get(URL)

    assert client.get(URL, HTTP_IF_NONE_MATCH=served["ETag"]).status_code == 304
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=served["Last-Modified"]).status_code == 304
    head = client.head(URL)
    assert head.status_code == 200 and head["ETag"] == served["ETag"]
    assert head["Content-Length"] == served["Content-Length"] and body(head) == b""


def test_a_range_gets_206_with_those_bytes(client):
    grow_data(times=1)
    whole = body(client.get(URL))
    etag = client.get(URL)["ETag"]

    part = client.get(URL, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert body(part) == whole[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(whole)}" and part["Content-Length"] == "100"

    assert body(client.get(URL, HTTP_RANGE="bytes=-50")) == whole[-50:]
    assert body(client.get(URL, HTTP_RANGE=f"bytes={len(whole) - 10}-")) == whole[-10:]
    resumed = client.get(URL, HTTP_RANGE="bytes=1000-", HTTP_IF_RANGE=etag)
    assert resumed.status_code == 206 and body(resumed) == whole[1000:]
    # If-Range naming another version: the whole (current) file, not a piece of it.
    assert client.get(URL, HTTP_RANGE="bytes=1000-", HTTP_IF_RANGE='"old"').status_code == 200


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=20-10", "bytes=abc", "bytes=-0"])
def test_a_range_that_cannot_be_satisfied_gets_416(client, header):
    whole = body(client.get(URL))
    response = client.get(URL, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(whole)}"


def test_gzip_when_asked(client):
    grow_data(times=1)
    whole = body(client.get(URL))

    first = client.get(URL, HTTP_ACCEPT_ENCODING="gzip, deflate")  # compressed from the file while sent
    compressed = body(first)
    second = client.get(URL, HTTP_ACCEPT_ENCODING="gzip")  # from the stored .gz
    assert first["Content-Encoding"] == second["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed) == gzip.decompress(body(second)) == whole
    assert len(body(second)) < len(whole) / 3
    assert second["ETag"] != client.get(URL)["ETag"]
    assert "Accept-Encoding" in second["Vary"]
    assert "Content-Encoding" not in client.get(URL, HTTP_ACCEPT_ENCODING="gzip;q=0")


def test_filtered_and_as_of_exports_stay_live(client):
    body(client.get(URL + "?pilot=hackney-health-and-social-care-integration"))
    body(client.get(URL + "?as_of=2024-01-01"))
    assert stored_files() == []


def test_a_download_stopped_part_way_leaves_no_file(client):
    grow_data(times=2)
    response = client.get(URL)
    chunks = iter(response.streaming_content)
    next(chunks)
    response.close()  # the client went away (on PostgreSQL the COPY is stopped and its connection closed)
    assert stored_files() == []


def test_concurrent_builders_do_not_corrupt_each_other():
    name = "pilot-updates/same-version.csv"
    expected = b"".join(f"row {number}\r\n".encode() for number in range(1000))

    def chunks():
        for number in range(1000):
            yield f"row {number}\r\n".encode()

    first, second = prepared.stream_and_keep(name, chunks()), prepared.stream_and_keep(name, chunks())
    received = [b"", b""]
    for a, b in zip(first, second, strict=True):  # both write at once, each to its own temporary file
        received[0] += a
        received[1] += b
        assert not prepared.storage().exists(name) or prepared.storage().open(name).read() == expected
    assert received == [expected, expected]
    assert prepared.storage().open(name).read() == expected
    assert stored_files() == [name]


def test_the_zip_is_prepared_and_holds_the_same_csvs(client):
    grow_data(times=1)
    first = body(client.get("/data/all.zip"))
    served = client.get("/data/all.zip")
    assert body(served) == first and served["ETag"]
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.read("pilot-updates.csv") == live_bytes()
    PilotUpdateFactory(title="A new update for the zip")
    with zipfile.ZipFile(io.BytesIO(body(client.get("/data/all.zip")))) as archive:
        assert b"A new update for the zip" in archive.read("pilot-updates.csv")
