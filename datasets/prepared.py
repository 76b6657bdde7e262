"""Full exports prepared once per change of the data and served as files.

The unfiltered CSV of each dataset (and ``all.zip``) is written to the ``exports`` storage (a folder
under ``run/exports/`` by default; any Django storage, such as object storage, by configuration) under
a name made from ``data_version()``, then served from there with ``ETag``, ``Last-Modified``, single
byte ranges and gzip. Filtered and ``?as_of=`` exports stay live.

- **Never older than it claims**: the name is a fingerprint of the data, read before the rows are, so a
  file holds the data of its name or newer, and a change of the data changes the name. The next request
  after any change finds no file under the new name and builds it.
- **Built while streamed**, or ahead: the first request writes the bytes it sends to a temporary file beside the
  final one and renames it into place once the last byte has gone out (object storage: one upload of
  the finished file). A download stopped part-way, or an export that fails, leaves nothing behind.
  Concurrent builders write their own temporary files; each rename is atomic and they hold the same bytes.
  A bulk load (``generate_load_data``) ends with ``manage.py prepare_exports``, which builds every
  dataset's file at once (``prepare_csv``), so no visitor waits for a million rows to be built.
- **gzip**: a ``.gz`` is stored beside the CSV, compressed once from the prepared CSV by the first
  request that asks for gzip (streamed to it as it is compressed), then served like the CSV.
- Several ranges in one request are answered with the whole file (HTTP allows it); a range that cannot
  be satisfied gets 416.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from core.models import PageCacheGeneration
from core.signals import CONTENT_APPS

from .query import Export
from .writers import export_csv_chunks

STORAGE_ALIAS = "exports"
READ_BYTES = 256 * 1024
STALE_BUILD_SECONDS = 24 * 60 * 60  # a temporary file this old was left by a process that died
GZIP_LEVEL = 6
FILE_MODE = 0o644
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def storage() -> Storage:
    return storages[STORAGE_ALIAS]


# --- Which data a file holds -----------------------------------------------------------------------


@functools.cache
def _code_fingerprint() -> str:
    """The code that decides the files' bytes: a new column or a writer change makes new files."""
    folder = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("definitions.py", "expressions.py", "query.py", "writers.py", "copy.py", "package.py"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def data_version(using: str) -> str:
    """A fingerprint of everything an export can show, from one query of index look-ups: the newest id
    of every content table and of its history. Every save and delete through the ORM, and every link
    added or removed, writes a history row; a bulk insert raises the table's newest id. (A raw SQL
    ``UPDATE`` is seen by neither: delete the prepared files after one.) Tables only: a database view
    (the timeline's, ``managed = False``) shows rows of tables already read here, and its newest id is
    no index look-up but a scan of every row (0.3-0.8 s on each download at scale 100)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    parts = [
        f"(SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(model._meta.db_table)})"
        for app in CONTENT_APPS
        for model in sorted(apps.get_app_config(app).get_models(), key=lambda model: model._meta.db_table)
        if model._meta.managed
    ]
    # The newest ids alone can come back with other content (a rolled-back insert on SQLite, a restored
    # backup then edited, another database of the same name): the page-cache generation token, a random
    # value every record change replaces in the same transaction, never does.
    generation = PageCacheGeneration._meta.db_table
    parts.append(f"(SELECT {quote('token')} FROM {quote(generation)} WHERE {quote('id')} = 1)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        newest = cursor.fetchone()
    # What the public may see is part of what a file holds: a changed rule (``publication_paths``) makes
    # new files even when no row changed.
    rules = [
        (model._meta.label, getattr(model, "publication_paths", ()))
        for app in CONTENT_APPS
        for model in apps.get_app_config(app).get_models()
    ]
    digest = hashlib.sha256(
        f"{connection.settings_dict['NAME']}|{newest}|{sorted(rules)}|{_code_fingerprint()}".encode()
    )
    return digest.hexdigest()[:32]


def csv_name(dataset_name: str, version: str) -> str:
    """Where a dataset's whole CSV for ``version`` (``data_version``) is kept."""
    return f"{dataset_name}/{version}.csv"


# --- Writing ---------------------------------------------------------------------------------------


def _local_folder(name: str) -> str | None:
    """Where the temporary file goes: beside the final one on a local disk (so that the rename is
    atomic), the system's temporary folder for other storages."""
    target = storage()
    if not isinstance(target, FileSystemStorage):
        return None
    folder = os.path.dirname(target.path(name))
    os.makedirs(folder, exist_ok=True)
    return folder


def _publish(temporary: str, name: str) -> None:
    target = storage()
    if isinstance(target, FileSystemStorage):
        os.chmod(temporary, FILE_MODE)  # a temporary file is private to its owner; the export is public
        os.replace(temporary, target.path(name))
        return
    try:
        if not target.exists(name):  # another builder may have uploaded the same bytes already
            with open(temporary, "rb") as handle:
                target.save(name, File(handle))
    finally:
        os.unlink(temporary)


def _remove_older_versions(name: str) -> None:
    """Delete the other files of the same export (older versions), and temporary files of dead builders."""
    target = storage()
    folder, keep = os.path.split(name)
    version = keep.split(".", 1)[0]
    for other in target.listdir(folder)[1]:
        path = f"{folder}/{other}"
        if other.startswith(".building-"):
            if time.time() - target.get_modified_time(path).timestamp() > STALE_BUILD_SECONDS:
                target.delete(path)
        elif not other.startswith(version):
            target.delete(path)


def stream_and_keep(name: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Pass ``chunks`` on while writing them to a temporary file that becomes ``name`` once every chunk
    has gone out; if the chunks fail or the download stops, the temporary file is deleted."""
    handle = tempfile.NamedTemporaryFile(dir=_local_folder(name), prefix=".building-", delete=False)  # noqa: SIM115
    try:
        with handle:
            for chunk in chunks:
                handle.write(chunk)
                yield chunk
    except BaseException:  # GeneratorExit included: the client went away
        os.unlink(handle.name)
        raise
    _publish(handle.name, name)
    _remove_older_versions(name)


def prepare_csv(export: Export) -> bool:
    """Build the prepared file of a whole-dataset ``export`` (no parameters) unless it is there already,
    as the first request would; True if it was built."""
    name = csv_name(export.dataset.name, data_version(export.queryset.db))
    if storage().exists(name):
        return False
    for _ in stream_and_keep(name, export_csv_chunks(export)):
        pass
    return True


def gzip_chunks(name: str) -> Iterator[bytes]:
    """The stored file ``name``, gzip-compressed as it is read."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: gzip framing
    with storage().open(name, "rb") as handle:
        while block := handle.read(READ_BYTES):
            if compressed := compressor.compress(block):
                yield compressed
    yield compressor.flush()


# --- Serving ---------------------------------------------------------------------------------------


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one range ``header`` asks for, as (first, last) inclusive; None for the whole file (no header,
    another unit, several ranges); ValueError if it cannot be satisfied."""
    header = header.strip()
    if not header.startswith("bytes=") or "," in header:
        return None
    match = _RANGE.fullmatch(header.replace(" ", ""))
    if match is None:
        raise ValueError(header)
    first, last = match.groups()
    if first == "":
        if last == "" or int(last) == 0:
            raise ValueError(header)
        return max(size - int(last), 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise ValueError(header)
    return start, end


def _read(name: str, start: int, length: int) -> Iterator[bytes]:
    with storage().open(name, "rb") as handle:
        handle.seek(start)
        while length > 0 and (block := handle.read(min(READ_BYTES, length))):
            length -= len(block)
            yield block


def serve(
    request: HttpRequest, name: str, *, etag: str, content_type: str, filename: str, encoding: str = ""
) -> HttpResponse:
    """The stored file ``name``: 304 if the client has it, 206 for a range (``If-Range`` honoured), 416
    for a range beyond it, else the whole file."""
    target = storage()
    size = target.size(name)
    modified = target.get_modified_time(name)
    etag = quote_etag(etag)
    conditional = get_conditional_response(request, etag=etag, last_modified=int(modified.timestamp()))
    if conditional is not None:
        response = conditional
    else:
        try:
            wanted = _byte_range(request.headers.get("Range", ""), size) if _range_applies(request, etag) else None
        except ValueError:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        start, end = wanted or (0, size - 1)
        body = _read(name, start, end - start + 1) if request.method == "GET" and size else ()
        response = StreamingHttpResponse(body, status=206 if wanted else 200, content_type=content_type)
        response["Content-Length"] = str(end - start + 1 if size else 0)
        if wanted:
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        if encoding:
            response["Content-Encoding"] = encoding
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified.timestamp())
    response["Accept-Ranges"] = "bytes"
    response["Vary"] = "Accept-Encoding"
    return response


def _range_applies(request: HttpRequest, etag: str) -> bool:
    """Ranges of GETs only, and with ``If-Range`` only while the file is still the one it names."""
    if request.method != "GET":
        return False
    condition = request.headers.get("If-Range")
    return condition is None or condition == etag
