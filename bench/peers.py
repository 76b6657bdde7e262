"""5. Beside the peers: the portal's exports, PostgreSQL's COPY of the table and Datasette, in one run.

    .venv/bin/python -m bench.run peers --scale 100 --repetitions 3

The portal (gunicorn, bench settings, 1 worker, PostgreSQL at scale 100) serves:

- the whole ``pilot-updates.csv``: once as the first request after a change (built while streamed),
  then from the prepared file;
- the same filtered to one year (``?year=2020``, about 88,000 rows at scale 100), live.

Beside them, in turn: ``COPY pilots_pilotupdate TO STDOUT CSV`` of the whole table (psycopg2, into a
counting sink), and Datasette 0.65 (installed into its own virtualenv, ``bench/out/datasette-venv``,
never the project's lock) serving the SQLite benchmark database, which holds the same rows (same
generator, same seed), as ``_stream=on`` CSV of the table, whole and filtered to the same year and to
published rows. Datasette's rows are the table's own columns (no pilot slug, no source list joined in),
so it does less work per row than the portal. Time to first byte, seconds to the last byte, rows/s, and
the serving process's peak RSS (VmHWM, reset before each request) for each.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.export import _worker_pid, fetch_endpoint, start_server, stop_server, time_copy
from bench.run import OUT, database_url, free_port, out_file, setup_django, write_json

DATASETTE_VENV = OUT / "datasette-venv"
DATASETTE_REQUIREMENT = "datasette>=0.65,<0.66"
YEAR = 2020


def datasette_binary() -> Path:
    """Datasette in the bench's own virtualenv, installed on first use."""
    binary = DATASETTE_VENV / "bin" / "datasette"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
        subprocess.run(
            [str(DATASETTE_VENV / "bin" / "pip"), "install", "--quiet", DATASETTE_REQUIREMENT], check=True, timeout=600
        )
    return binary


def start_datasette(sqlite_file: Path, port: int) -> subprocess.Popen:
    command = [
        str(datasette_binary()),
        "serve",
        "--immutable",
        str(sqlite_file),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        "600000",
        "--setting",
        "max_csv_mb",
        "0",
        "--setting",
        "num_sql_threads",
        "1",
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    import urllib.request

    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("datasette exited before serving") from None
            time.sleep(0.3)
    raise SystemExit("datasette did not start in time")


def _summary(runs: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    seconds = statistics.median(run["seconds"] for run in runs)
    first = [run["first_byte_seconds"] for run in runs if run.get("first_byte_seconds") is not None]
    return {
        "rows": rows,
        "runs": len(runs),
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        "first_byte_seconds": statistics.median(first) if first else None,
        "peak_rss_mb": max((run.get("worker_peak_rss_mb") or 0) for run in runs) or None,
        "bytes": runs[0].get("bytes"),
        "complete": all(run.get("complete", True) for run in runs),
        "each": runs,
    }


def peers_benchmark(scale: float, repetitions: int) -> dict[str, Any]:
    setup_django("postgres", scale)
    from django.db import connection
    from django.http import QueryDict

    from datasets.definitions import DATASETS
    from datasets.query import build_export

    dataset = DATASETS["pilot-updates"]
    whole_rows = build_export(dataset, QueryDict()).queryset.order_by().count()
    year_rows = build_export(dataset, QueryDict(f"year={YEAR}")).queryset.order_by().count()
    connection.close()
    pg_url = database_url("postgres", scale)
    sqlite_file = Path(database_url("sqlite", scale).removeprefix("sqlite:///"))
    if not sqlite_file.exists():
        raise SystemExit(f"{sqlite_file} is missing: run `bench.run prepare --engine sqlite --scale {scale:g}` first")

    # A fresh exports folder: the first whole-file request builds the prepared file.
    exports = OUT / "exports-peers"
    subprocess.run(["rm", "-rf", str(exports)], check=True)
    os.environ["EXPORTS_DIR"] = str(exports)
    portal_port, datasette_port = free_port(), free_port()
    results: dict[str, list[dict[str, Any]]] = {
        key: [] for key in ("copy_table", "portal_whole_first", "portal_whole_prepared", "portal_year")
    }
    results.update(datasette_whole=[], datasette_year=[])
    server, command = start_server("postgres", scale, portal_port, timeout=900)
    datasette = start_datasette(sqlite_file, datasette_port)
    try:
        worker = _worker_pid(server.pid)
        datasette_pid = datasette.pid
        fetch_endpoint(portal_port, "/data/pilot-updates.csv?year=1900", worker)  # warm-up
        datasette_year = (
            f"/{sqlite_file.stem}/pilots_pilotupdate.csv?_stream=on&publication_status=published"
            f"&happened_on__gte={YEAR}-01-01&happened_on__lte={YEAR}-12-31"
        )
        fetch_endpoint(datasette_port, datasette_year.replace(str(YEAR), "1900"), datasette_pid)  # warm-up
        results["portal_whole_first"].append(fetch_endpoint(portal_port, "/data/pilot-updates.csv", worker))
        for repetition in range(repetitions):
            print(f"peers: repetition {repetition + 1} of {repetitions}", file=sys.stderr)
            results["portal_whole_prepared"].append(fetch_endpoint(portal_port, "/data/pilot-updates.csv", worker))
            results["copy_table"].append(time_copy(pg_url, "SELECT * FROM pilots_pilotupdate"))
            results["portal_year"].append(fetch_endpoint(portal_port, f"/data/pilot-updates.csv?year={YEAR}", worker))
            results["datasette_year"].append(fetch_endpoint(datasette_port, datasette_year, datasette_pid))
            results["datasette_whole"].append(
                fetch_endpoint(datasette_port, f"/{sqlite_file.stem}/pilots_pilotupdate.csv?_stream=on", datasette_pid)
            )
    finally:
        server_log = stop_server(server)
        datasette.terminate()
        try:
            datasette.wait(30)
        except subprocess.TimeoutExpired:
            datasette.kill()
    counts = {
        "copy_table": whole_rows,
        "portal_whole_first": whole_rows,
        "portal_whole_prepared": whole_rows,
        "portal_year": year_rows,
        "datasette_year": None,
        "datasette_whole": None,
    }
    summary = {}
    for key, runs in results.items():
        # Datasette's rows: its CSV's lines less the header (no text in these rows holds a line break).
        rows = counts[key] if counts[key] is not None else runs[0]["newlines"] - 1
        summary[key] = _summary(runs, rows)
    data = {
        "engine": "postgres",
        "scale": scale,
        "year": YEAR,
        "when": time.time(),
        "load_average": round(os.getloadavg()[0], 2),
        "portal_server": " ".join(Path(part).name if part.startswith("/") else part for part in command),
        "datasette": DATASETTE_REQUIREMENT,
        "summary": summary,
        "server_log_tail": server_log,
    }
    write_json(out_file("peers", "postgres", scale), data)
    return data
