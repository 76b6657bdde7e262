"""The open data: /data/ (the hub, with each dataset's dictionary), each dataset as CSV and JSON with
the HTML list's filters, the Data Package descriptor and a zip of everything.

CSV, JSON and the zip are read-only, open to other sites (CORS for GET) and rate-limited per client
(datasets/ratelimit.py).
A whole dataset's CSV and the zip of today's data are prepared files (``datasets/prepared.py``);
filtered and ``?as_of=`` exports are written live.
"""

import datetime
import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import router
from django.db.models import Max, Value
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from core.caching import cache_key
from core.http import accepts_gzip, require_database
from core.models import PageCacheGeneration
from pilots.selectors import capped_counts

from . import prepared
from .definitions import DATASETS, Dataset
from .expressions import history_model
from .package import CSV_CONTRACT, LICENCE, datapackage, zip_chunks
from .query import LONDON, BadRequest, Export, build_export, decode_cursor, encode_cursor, parse_as_of
from .ratelimit import rate_limited
from .writers import csv_chunks, export_csv_chunks, json_row

CSV_TYPE = "text/csv; charset=utf-8"
JSON_PAGE_SIZE = 100
JSON_MAX_PAGE_SIZE = 1000
FILE_PREFIX = "london-health-devolution"
# Finished exports up to this size are kept in the cache, like whole pages, until any record changes.
STORED_EXPORT_MAX_BYTES = 8 * 1024 * 1024


def allow_cors(view):
    """Any site may read the data with GET; a preflight OPTIONS request is answered here."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "Content-Disposition, Retry-After"
        return response

    return wrapper


def _dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise Http404(f"There is no dataset called {name!r}.") from None


def _flag(params, name: str) -> bool:
    value = params.get(name, "")
    if value in {"", "0"}:
        return False
    if value == "1":
        return True
    raise BadRequest(f"{name}: use 1 or 0.")


def _text_error(message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")


def _today() -> datetime.date:
    return timezone.localdate(timezone=LONDON)


def _file_name(dataset_name: str, as_of: datetime.date | None, extension: str) -> str:
    stamp = f"as-of-{as_of.isoformat()}" if as_of else _today().isoformat()
    return f"{FILE_PREFIX}-{dataset_name}-{stamp}.{extension}"


def _unfiltered(params) -> bool:
    """No parameter with a value: the whole dataset, which is served as a prepared file."""
    return not any(value for name in params for value in params.getlist(name))


def _download(chunks: Iterable[bytes], content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Accel-Buffering"] = "no"  # let a proxy pass the stream on as it comes
    return response


def _prepared_csv(request, export: Export, filename: str) -> HttpResponse:
    """The whole dataset from its prepared file, or built into it while it is sent."""
    version = prepared.data_version(export.queryset.db)  # read before the rows: the file is never older
    name = prepared.csv_name(export.dataset.name, version)
    storage = prepared.storage()
    if storage.exists(name):
        if accepts_gzip(request):
            compressed = f"{name}.gz"
            if storage.exists(compressed):
                return prepared.serve(
                    request,
                    compressed,
                    etag=f"{version}-gzip",
                    content_type=CSV_TYPE,
                    filename=filename,
                    encoding="gzip",
                )
            if request.method == "GET":
                response = _download(
                    prepared.stream_and_keep(compressed, prepared.gzip_chunks(name)), CSV_TYPE, filename
                )
                response["Content-Encoding"] = "gzip"
                response["Vary"] = "Accept-Encoding"
                return response
        return prepared.serve(request, name, etag=version, content_type=CSV_TYPE, filename=filename)
    if request.method == "HEAD":
        return _download(csv_chunks(export.dataset.columns, ()), CSV_TYPE, filename)
    return _download(prepared.stream_and_keep(name, export_csv_chunks(export)), CSV_TYPE, filename)


def _stored_or_streamed(request, make_chunks: Callable[[], Iterator[bytes]]) -> Iterable[bytes]:
    """A CSV kept from an earlier identical request (until any record changes), or a fresh stream."""
    if not settings.PAGE_CACHE_SECONDS:
        return make_chunks()
    key = cache_key(request, "export")
    stored = cache.get(key)
    if stored is not None:
        return [stored]
    return _keep_if_small(key, make_chunks())


def _keep_if_small(key: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Pass the chunks on; keep the whole file only if it ended normally and is small."""
    kept: list[bytes] | None = []
    size = 0
    for chunk in chunks:
        yield chunk
        if kept is not None:
            size += len(chunk)
            if size <= STORED_EXPORT_MAX_BYTES:
                kept.append(chunk)
            else:
                kept = None
    if kept is not None:
        cache.set(key, b"".join(kept), settings.PAGE_CACHE_SECONDS)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
@allow_cors
@rate_limited
def dataset_csv(request, dataset):
    definition = _dataset(dataset)
    try:
        bom = _flag(request.GET, "bom")
        as_of = parse_as_of(request.GET.get("as_of"))
        export = build_export(definition, request.GET, as_of)
    except BadRequest as error:
        return _text_error(error.message)
    filename = _file_name(definition.name, as_of, "csv")
    if _unfiltered(request.GET):
        return _prepared_csv(request, export, filename)
    if request.method == "HEAD":
        chunks = csv_chunks(definition.columns, (), bom=bom)
    else:
        require_database(export.queryset.db)  # unreachable: the 503 page, not a 200 that breaks off
        chunks = _stored_or_streamed(request, lambda: export_csv_chunks(export, bom=bom))
    return _download(chunks, CSV_TYPE, filename)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
@allow_cors
@rate_limited
def dataset_json(request, dataset):
    definition = _dataset(dataset)
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
        limit = _page_size(request.GET.get("limit"))
        export = build_export(definition, request.GET, as_of)
        cursor = request.GET.get("cursor")
        after = decode_cursor(definition.model, export.terms, cursor) if cursor else None
    except BadRequest as error:
        return JsonResponse({"error": error.message}, status=400)
    rows = list(export.page(after, limit + 1))
    width = len(definition.columns)
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        query = request.GET.copy()
        query["cursor"] = encode_cursor(rows[-1][width:])
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return JsonResponse(
        {
            "dataset": definition.name,
            "title": definition.title,
            "as_of": as_of.isoformat() if as_of else None,
            "licence": {"title": LICENCE["title"], "url": LICENCE["path"]},
            "fields": definition.column_names,
            "results": [json_row(definition.columns, row[:width]) for row in rows],
            "next": next_url,
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _page_size(value: str | None) -> int:
    if value is None or value == "":
        return JSON_PAGE_SIZE
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= JSON_MAX_PAGE_SIZE:
        raise BadRequest(f"limit: a whole number from 1 to {JSON_MAX_PAGE_SIZE}.")
    return int(value)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
@allow_cors
def package_descriptor(request):
    return JsonResponse(
        datapackage(homepage=request.build_absolute_uri(reverse("datasets:hub"))),
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )


@require_http_methods(["GET", "HEAD", "OPTIONS"])
@allow_cors
@rate_limited
def all_zip(request):
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except BadRequest as error:
        return _text_error(error.message)
    homepage = request.build_absolute_uri(reverse("datasets:hub"))
    accessed = _today()
    filename = _file_name("all", as_of, "zip")
    chunks = ()
    if request.method != "HEAD":
        # Unreachable now: the 503 page. Failing later, the stream breaks off before the zip's central
        # directory, so no client takes what it got for a complete archive.
        require_database(router.db_for_read(next(iter(DATASETS.values())).model))
        chunks = zip_chunks(homepage=homepage, as_of=as_of, accessed=accessed)
    if as_of is not None:
        return _download(chunks, "application/zip", filename)
    # Today's zip is prepared too; its README names the day and the address it was downloaded from.
    data = prepared.data_version(router.db_for_read(next(iter(DATASETS.values())).model))
    version = hashlib.sha256(f"{data}|{accessed}|{homepage}".encode()).hexdigest()[:32]
    name = f"all/{version}.zip"
    if prepared.storage().exists(name):
        return prepared.serve(request, name, etag=version, content_type="application/zip", filename=filename)
    return _download(prepared.stream_and_keep(name, chunks) if chunks else chunks, "application/zip", filename)


def _last_updated() -> dict[str, datetime.datetime]:
    """When each dataset's records last changed (their history), in one query."""
    parts = [
        history_model(model)
        .objects.order_by()
        .annotate(dataset=Value(dataset.name))
        .values("dataset")
        .annotate(last=Max("history_date"))
        .values_list("dataset", "last")
        for dataset in DATASETS.values()
        for model in dataset.history_models
    ]
    latest: dict[str, datetime.datetime] = {}
    for name, moment in parts[0].union(*parts[1:], all=True):
        if moment is not None and (name not in latest or moment > latest[name]):
            latest[name] = moment
    return latest


def citation(dataset: Dataset, *, year: int, accessed: datetime.date, url: str) -> str:
    return (
        f"London Health Devolution Portal ({year}). {dataset.title} [data set]. "
        f"Accessed {accessed.day} {accessed:%B %Y}. {url}"
    )


ROW_COUNTS_SECONDS = 24 * 60 * 60


def _row_counts() -> dict[str, int]:
    """Each dataset's number of rows, counted in one query and kept in the cache under the page cache's
    generation (one primary-key read; it changes with any change to a record, core.models): a page
    expired without a change does not count a million rows again, and a change counts afresh. A dataset
    made of others' rows (``rows_of``) is their sum. Kept only where pages are (``PAGE_CACHE_SECONDS``)."""
    key = f"dataset-rows:{PageCacheGeneration.objects.current()}"
    counts = cache.get(key) if settings.PAGE_CACHE_SECONDS else None
    if counts is None:
        counted = [dataset for dataset in DATASETS.values() if not dataset.rows_of]
        found = capped_counts([dataset.selector().prefetch_related(None) for dataset in counted], cap=None)
        counts = {dataset.name: number for dataset, number in zip(counted, found, strict=True)}
        for dataset in DATASETS.values():
            if dataset.rows_of:
                counts[dataset.name] = sum(counts[name] for name in dataset.rows_of)
        if settings.PAGE_CACHE_SECONDS:
            cache.set(key, counts, ROW_COUNTS_SECONDS)
    return counts


@require_safe
def hub(request):
    """Every dataset with its size, date, licence, citation and dictionary: the sizes from
    ``_row_counts`` and one query for all the last-updated dates."""
    accessed = _today()
    last_updated = _last_updated()
    row_counts = _row_counts()
    entries = []
    for dataset in DATASETS.values():
        csv_url = reverse("datasets:csv", kwargs={"dataset": dataset.name})
        updated = last_updated.get(dataset.name)
        updated_on = timezone.localtime(updated, LONDON).date() if updated else None
        entries.append(
            {
                "dataset": dataset,
                "rows": row_counts[dataset.name],
                "last_updated": updated_on,
                "csv_url": csv_url,
                "json_url": reverse("datasets:json", kwargs={"dataset": dataset.name}),
                "citation": citation(
                    dataset,
                    year=(updated_on or accessed).year,
                    accessed=accessed,
                    url=request.build_absolute_uri(csv_url),
                ),
            }
        )
    return render(
        request,
        "datasets/hub.html",
        {
            "entries": entries,
            "csv_contract": CSV_CONTRACT,
            "licence": LICENCE,
            "accessed": accessed,
            "nav_section": "data",
            "crumbs": [("Open data", None)],
        },
    )
