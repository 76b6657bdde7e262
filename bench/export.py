"""3. Exports: the CSV endpoint served by gunicorn beside PostgreSQL's own COPY of the same rows.

    .venv/bin/python -m bench.run export --engine postgres --scale 100 --repetitions 3

In one run, ``--repetitions`` times in turn (endpoint, COPY, endpoint, COPY, ...) so that both see the
same machine load:

(a) the endpoint: ``GET /data/pilot-updates.csv`` from gunicorn (bench settings, 1 sync worker with a
    long ``--timeout``: a sync worker busy longer than the timeout is killed, and a million rows take
    longer than gunicorn's default 30 s) on 127.0.0.1:8107, through
    Django's full middleware stack. The client is this process reading the whole body over HTTP and
    throwing it away; rows/s = the rows the export holds / the time from sending the request to the
    last byte. The worker's peak RSS is its VmHWM (/proc/<pid>/status), reset before each request
    (``/proc/<pid>/clear_refs``), so each figure is that request's own peak; its CPU time is from
    /proc/<pid>/stat.
(b) COPY: ``COPY (SELECT ...) TO STDOUT WITH CSV HEADER`` of the same columns, rows and order (the
    export's own queryset, ``values_list`` of the dataset's columns, as SQL) through psycopg2's
    ``copy_expert`` into a sink that only counts bytes and lines.
(c) optional (``--python-loop``): a plain ``csv.writer`` loop over a psycopg2 server-side cursor of
    the same SELECT in this process, the yardstick the brief mentions.

Medians of the repetitions; raw figures go to bench/out/export-<engine>-scale<N>.json.
"""

from __future__ import annotations

import csv
import http.client
import io
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.run import (
    OUT,
    PYTHON,
    ROOT,
    database_url,
    out_file,
    setup_django,
    wait_until_serving,
    write_json,
)

PORT = 8107
DATASET = "pilot-updates"
TARGET_SHARE = 0.40
TARGET_PEAK_MB = 150
READ_SIZE = 1 << 20


# --------------------------------------------------------------------------- the serving process


def _status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of ``pid`` in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmHWM", "VmRSS"}:
            values[name] = int(rest.split()[0])
    return values


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False if not allowed, then peaks are cumulative."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _worker_pid(master: int, seconds: float = 30) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise SystemExit("gunicorn started no worker")


# ``--writer python``: the worker turns COPY off once Django is set up, so the same build serves the
# Python writer (the path every export took before datasets/copy.py) for a comparison in the same state.
PYTHON_WRITER_HOOK = """
def post_worker_init(worker):
    from django.conf import settings
    settings.DATASETS_CSV_COPY = False
"""


def start_server(
    engine: str, scale: float, port: int, timeout: int, writer: str = "default"
) -> tuple[subprocess.Popen, list[str]]:
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "devolution_portal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        str(timeout),
    ]
    if writer == "python":
        hook = OUT / "gunicorn-python-writer.py"
        hook.write_text(PYTHON_WRITER_HOOK)
        command += ["--config", str(hook)]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_URL": database_url(engine, scale),
        # COPY is one statement for the whole file; the bench's 60 s guard would cut a slow run short.
        "BENCH_STATEMENT_TIMEOUT": os.environ.get("BENCH_STATEMENT_TIMEOUT", f"{timeout}s"),
    }
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until_serving(f"http://127.0.0.1:{port}", server)
    return server, command


def stop_server(server: subprocess.Popen) -> str:
    server.send_signal(signal.SIGTERM)
    try:
        _, errors = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        _, errors = server.communicate()
    return errors.decode(errors="replace")[-4000:]


def fetch_endpoint(port: int, path: str, worker: int) -> dict[str, Any]:
    """The whole body, read and dropped; time to the last byte, the worker's peak RSS and CPU."""
    rss_before = _status(worker)["VmRSS"]
    peak_reset = _reset_peak(worker)
    cpu_before = _cpu_seconds(worker)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    first_byte = None
    size = lines = 0
    tail = b""
    complete = True
    try:
        while block := response.read(READ_SIZE):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(block)
            lines += block.count(b"\n")
            tail = (tail + block)[-2000:]
    except http.client.IncompleteRead:
        complete = False  # the server aborted the response: no terminating chunk
    elapsed = time.perf_counter() - started
    connection.close()
    status = _status(worker)
    last_line = tail.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    return {
        "status": response.status,
        "seconds": elapsed,
        "first_byte_seconds": first_byte,
        "bytes": size,
        "newlines": lines,
        "complete": complete and response.status == 200 and not last_line.startswith(b"#EXPORT INCOMPLETE"),
        "worker_peak_rss_mb": status["VmHWM"] / 1024,
        "worker_rss_before_mb": rss_before / 1024,
        "worker_rss_after_mb": status["VmRSS"] / 1024,
        "peak_is_per_request": peak_reset,
        "worker_cpu_seconds": _cpu_seconds(worker) - cpu_before,
    }


# --------------------------------------------------------------------------- COPY and the Python loop


class CountingSink:
    """What copy_expert writes into: counts, keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0
        self.newlines = 0

    def write(self, data) -> int:
        if isinstance(data, str):
            data = data.encode()
        self.bytes += len(data)
        self.newlines += data.count(b"\n")
        return len(data)


def _connect(url: str):
    import psycopg2

    return psycopg2.connect(url)


def time_copy(url: str, select: str) -> dict[str, Any]:
    connection = _connect(url)
    try:
        with connection.cursor() as cursor:
            sink = CountingSink()
            cpu_before = time.process_time()
            started = time.perf_counter()
            cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH CSV HEADER", sink, size=READ_SIZE)
            elapsed = time.perf_counter() - started
        connection.rollback()
    finally:
        connection.close()
    return {
        "seconds": elapsed,
        "bytes": sink.bytes,
        "newlines": sink.newlines,
        "client_cpu_seconds": time.process_time() - cpu_before,
    }


def time_python_loop(url: str, select: str, header: list[str]) -> dict[str, Any]:
    """The yardstick: csv.writer over a named (server-side) cursor, 2,000 rows a fetch, no cleaning."""
    connection = _connect(url)
    try:
        started = time.perf_counter()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        size = 0
        with connection.cursor(name="bench_export") as cursor:
            cursor.itersize = 2000
            cursor.execute(select)
            while rows := cursor.fetchmany(2000):
                writer.writerows(rows)
                size += len(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
        elapsed = time.perf_counter() - started
        connection.rollback()
    finally:
        connection.close()
    return {"seconds": elapsed, "bytes": size}


# --------------------------------------------------------------------------- the run


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if run.get(key) is not None]
    return statistics.median(values) if values else None


def export_benchmark(
    engine: str,
    scale: float,
    repetitions: int,
    port: int = PORT,
    query: str = "",
    timeout: int = 900,
    python_loop: bool = False,
    writer: str = "default",
) -> dict[str, Any]:
    if engine != "postgres":
        raise SystemExit("the export benchmark compares with PostgreSQL's COPY: --engine postgres")
    setup_django(engine, scale)
    from django.db import connection
    from django.http import QueryDict

    from datasets.definitions import DATASETS
    from datasets.query import build_export

    dataset = DATASETS[DATASET]
    export = build_export(dataset, QueryDict(query))
    rows_expected = export.queryset.order_by().count()
    sql, params = export.rows().query.sql_with_params()
    with connection.cursor() as cursor:
        select = cursor.mogrify(sql, params).decode()
    connection.close()
    url = database_url(engine, scale)
    path = f"/data/{DATASET}.csv" + (f"?{query}" if query else "")
    print(f"export: {rows_expected:,} rows, {repetitions} repetitions", file=sys.stderr)

    server, command = start_server(engine, scale, port, timeout, writer)
    runs: dict[str, list[dict[str, Any]]] = {"endpoint": [], "copy": [], "python_loop": []}
    warm_up: dict[str, Any] = {}
    try:
        worker = _worker_pid(server.pid)
        # Warm-up: imports, the connection, the first query plan; 0 rows would hide nothing.
        # Its peak RSS is the worker's floor, beside which the million-row peak shows how flat memory is.
        warm_up = fetch_endpoint(port, f"/data/{DATASET}.csv?year=1900", worker)
        for repetition in range(repetitions):
            load = round(os.getloadavg()[0], 2)
            endpoint = fetch_endpoint(port, path, worker)
            endpoint.update(repetition=repetition, load_average=load, rows=rows_expected)
            endpoint["rows_per_second"] = rows_expected / endpoint["seconds"]
            runs["endpoint"].append(endpoint)
            print(
                f"  endpoint #{repetition + 1}: {endpoint['rows_per_second']:,.0f} rows/s, "
                f"{endpoint['seconds']:.1f} s, {endpoint['bytes'] / 1e6:,.0f} MB, peak RSS "
                f"{endpoint['worker_peak_rss_mb']:.0f} MB, complete={endpoint['complete']}, load {load}",
                file=sys.stderr,
            )
            load = round(os.getloadavg()[0], 2)
            copy = time_copy(url, select)
            copy.update(repetition=repetition, load_average=load, rows=rows_expected)
            copy["rows_per_second"] = rows_expected / copy["seconds"]
            runs["copy"].append(copy)
            print(
                f"  COPY     #{repetition + 1}: {copy['rows_per_second']:,.0f} rows/s, {copy['seconds']:.1f} s, "
                f"{copy['bytes'] / 1e6:,.0f} MB, load {load}",
                file=sys.stderr,
            )
            if python_loop:
                load = round(os.getloadavg()[0], 2)
                loop = time_python_loop(url, select, dataset.column_names)
                loop.update(repetition=repetition, load_average=load, rows=rows_expected)
                loop["rows_per_second"] = rows_expected / loop["seconds"]
                runs["python_loop"].append(loop)
                print(f"  loop     #{repetition + 1}: {loop['rows_per_second']:,.0f} rows/s", file=sys.stderr)
    finally:
        server_log = stop_server(server)

    endpoint_rps = _median(runs["endpoint"], "rows_per_second")
    copy_rps = _median(runs["copy"], "rows_per_second")
    summary = {
        "endpoint_rows_per_second": endpoint_rps,
        "copy_rows_per_second": copy_rps,
        "ratio": endpoint_rps / copy_rps if endpoint_rps and copy_rps else None,
        "endpoint_peak_rss_mb": _median(runs["endpoint"], "worker_peak_rss_mb"),
        "endpoint_peak_rss_max_mb": max(run["worker_peak_rss_mb"] for run in runs["endpoint"]),
        "endpoint_bytes": _median(runs["endpoint"], "bytes"),
        "copy_bytes": _median(runs["copy"], "bytes"),
        "all_complete": all(run["complete"] for run in runs["endpoint"]),
        "python_loop_rows_per_second": _median(runs["python_loop"], "rows_per_second"),
    }
    data = {
        "engine": engine,
        "scale": scale,
        "dataset": DATASET,
        "path": path,
        "rows": rows_expected,
        "repetitions": repetitions,
        "server": " ".join(Path(part).name if part.startswith("/") else part for part in command),
        "copy_statement": "COPY (<the export's SELECT>) TO STDOUT WITH CSV HEADER, psycopg2 copy_expert",
        "export_path": _export_path_label(export) if writer == "default" else "python csv writer (COPY off)",
        "targets": {"share_of_copy": TARGET_SHARE, "peak_rss_mb": TARGET_PEAK_MB},
        "summary": summary,
        "runs": runs,
        "warm_up_no_rows": warm_up,
        "when": time.time(),
        "load_average": runs["endpoint"][0]["load_average"] if runs["endpoint"] else None,
        "load_averages": [run["load_average"] for kind in runs.values() for run in kind],
        "server_log_tail": server_log,
    }
    label = os.environ.get("BENCH_EXPORT_LABEL")
    if label:
        data["label"] = label
    # A filtered run never overwrites the whole-file figures the report shows.
    kind = "export" if writer == "default" else f"export-{writer}"
    write_json(out_file(kind if not query else f"{kind}-filtered", engine, scale), data)
    return data


def _export_path_label(export) -> str:
    """Which writer the endpoint used, decided as the view decides (same settings as the server)."""
    from datasets.writers import CsvWriter, writer_for

    if writer_for(export) is CsvWriter.COPY:
        return "PostgreSQL COPY streamed through a bounded queue (datasets/copy.py)"
    return "python csv writer over a server-side cursor"


# --------------------------------------------------------------------------- after a fresh bulk load

FRESH_YEAR = 2020


def fresh_load_benchmark(scale: float, port: int = PORT) -> dict[str, Any]:
    """The first downloads right after a bulk load: ``generate_load_data --clear --scale N`` (which runs
    ANALYZE and then ``prepare_exports`` itself; nothing else is run by hand), then gunicorn started on
    the loaded data and, as its first export requests, the whole ``pilot-updates.csv`` and the same
    filtered to one year. Time to the first byte and to the last, each request once."""
    import shutil

    exports = OUT / "exports-fresh"  # only what the load itself prepared
    shutil.rmtree(exports, ignore_errors=True)
    os.environ["EXPORTS_DIR"] = str(exports)
    os.environ.setdefault("BENCH_STATEMENT_TIMEOUT", "900s")  # the loader builds the million-row files
    setup_django("postgres", scale)
    from django.core.management import call_command
    from django.db import connection

    load_average = round(os.getloadavg()[0], 2)
    output = io.StringIO()
    started = time.perf_counter()
    call_command("generate_load_data", scale=scale, clear=True, no_progress=True, stdout=output, stderr=sys.stderr)
    load_seconds = time.perf_counter() - started
    connection.close()
    print(output.getvalue(), file=sys.stderr)
    prepared_line = next((line for line in output.getvalue().splitlines() if line.startswith("Prepared")), "")

    server, command = start_server("postgres", scale, port, timeout=900)
    try:
        worker = _worker_pid(server.pid)
        requests = {
            "whole": fetch_endpoint(port, f"/data/{DATASET}.csv", worker),
            "year": fetch_endpoint(port, f"/data/{DATASET}.csv?year={FRESH_YEAR}", worker),
        }
    finally:
        server_log = stop_server(server)
    for name, run in requests.items():
        print(
            f"  first {name} request: first byte {run['first_byte_seconds'] * 1000:,.0f} ms, "
            f"{run['seconds']:.2f} s, complete={run['complete']}",
            file=sys.stderr,
        )
    data = {
        "engine": "postgres",
        "scale": scale,
        "year": FRESH_YEAR,
        "load_seconds": load_seconds,
        "prepared": prepared_line,
        "requests": requests,
        "server": " ".join(Path(part).name if part.startswith("/") else part for part in command),
        "when": time.time(),
        "load_average": load_average,
        "server_log_tail": server_log,
    }
    write_json(out_file("fresh", "postgres", scale), data)
    return data
