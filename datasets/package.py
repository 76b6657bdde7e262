"""The Frictionless Data Package describing every dataset, and the zip of all the CSVs with it."""

import datetime
import json
import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.http import QueryDict

from .definitions import DATASETS, Dataset
from .query import build_export
from .writers import export_csv_chunks

LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
PACKAGE_NAME = "london-health-devolution-portal"
# The data package's version (semantic versioning): the major number goes up when a column is renamed
# or removed, the minor when one is added. Every change is listed in CHANGELOG.md.
PACKAGE_VERSION = "2.0.0"
CSV_DIALECT = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True}

CSV_CONTRACT = [
    "UTF-8 text; add ?bom=1 to the address for a byte-order mark, which older Excel needs to read UTF-8.",
    "A comma-separated header row of stable snake_case column names, then one row per record, each line "
    "ending CR LF; cells with commas, quotes or line breaks are quoted, quotes doubled (RFC 4180).",
    "Dates in ISO 8601 (YYYY-MM-DD). Where a source gives only a month or a year, a *_precision column says "
    "so (day, month or year) and the date is the 1st of the month or 1 January.",
    "An empty cell means the value is not known or does not apply (null in the JSON).",
    "Official codes beside names: ONS GSS codes for authorities and ICBs, NHS ODS codes for ICBs.",
    "A text cell that starts with =, +, -, @, a tab or a carriage return starts with an apostrophe ('), so that "
    "a spreadsheet shows it as text instead of running it as a formula. Number columns are never changed.",
    "Rows come in the same order as on the matching web page, with the same filters.",
    "A complete file ends with a line break after its last row. If an export fails part-way the download is "
    "cut off (your browser or tool reports an incomplete transfer) and its last line starts with "
    "#EXPORT INCOMPLETE and has one cell too many; download it again.",
    "Add ?as_of=YYYY-MM-DD for the published records as they stood at the end of that day (London time).",
]


def datasets_at(as_of: datetime.date | None) -> list[Dataset]:
    """The datasets a package holds: all of them, or, as of a past date, those that have a history."""
    return [dataset for dataset in DATASETS.values() if as_of is None or not dataset.no_as_of_reason]


def resource(dataset: Dataset) -> dict:
    return {
        "name": dataset.name,
        "title": dataset.title,
        "description": dataset.description,
        "path": f"{dataset.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": CSV_DIALECT,
        "licenses": [LICENCE],
        "schema": dataset.table_schema(),
    }


def datapackage(*, homepage: str = "", as_of: datetime.date | None = None) -> dict:
    """The Data Package descriptor. Resource paths are relative (``boroughs.csv``): they resolve to
    /data/boroughs.csv beside /data/datapackage.json, and to the files beside it in all.zip."""
    descriptor = {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "version": PACKAGE_VERSION,
        "title": f"{settings.PORTAL_NAME}: open data",
        "description": "London health and care devolution: the 2015 devolution pilots, the 32 London boroughs and "
        "the City of London, the five integrated care systems, place partnerships, and the sources every fact cites.",
        "licenses": [LICENCE],
        "created": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "resources": [resource(dataset) for dataset in datasets_at(as_of)],
    }
    if homepage:
        descriptor["homepage"] = homepage
    if as_of:
        descriptor["description"] += f" Records as they stood at the end of {as_of.isoformat()} (London time)."
    return descriptor


def readme(*, homepage: str, as_of: datetime.date | None, accessed: datetime.date) -> str:
    lines = [
        f"{settings.PORTAL_NAME}: open data",
        "",
        f"Downloaded {accessed.isoformat()} from {homepage}",
    ]
    if as_of:
        lines.append(f"Records as they stood at the end of {as_of.isoformat()} (London time).")
    lines += [
        "",
        "Licence: Open Government Licence v3.0, " + LICENCE["path"],
        f"Cite as: London Health Devolution Portal ({accessed.year}). Open data [data set]. "
        f"Accessed {accessed.day} {accessed:%B %Y}. {homepage}",
        "",
        "Files:",
        "  datapackage.json  Frictionless Data Package: every table's columns, types, keys and descriptions",
    ]
    lines += [f"  {dataset.name}.csv  {dataset.title}" for dataset in datasets_at(as_of)]
    lines += ["", "How the CSV files are written:"]
    lines += [f"- {rule}" for rule in CSV_CONTRACT]
    return "\n".join(lines) + "\n"


class _Sink:
    """A write-only file for ``zipfile`` that hands its bytes out as they are written."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def zip_chunks(*, homepage: str, as_of: datetime.date | None, accessed: datetime.date) -> Iterator[bytes]:
    """all.zip as a stream: each CSV is compressed as it is read, so memory stays flat."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(homepage=homepage, as_of=as_of, accessed=accessed))
        archive.writestr("datapackage.json", json.dumps(datapackage(homepage=homepage, as_of=as_of), indent=2))
        yield sink.take()
        for dataset in datasets_at(as_of):
            export = build_export(dataset, QueryDict(), as_of)
            with archive.open(f"{dataset.name}.csv", mode="w", force_zip64=True) as member:
                for chunk in export_csv_chunks(export):
                    member.write(chunk)
                    yield sink.take()
    yield sink.take()
