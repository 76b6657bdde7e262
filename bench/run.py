"""Benchmarks for the portal (scripts, not tests). Run from the project folder:

    .venv/bin/python -m bench.run all                  # everything below, then bench/RESULTS.md
    .venv/bin/python -m bench.run prepare --engine postgres --scale 100
    .venv/bin/python -m bench.run pages   --engine sqlite   --scale 1 --iterations 50
    .venv/bin/python -m bench.run load    --engine postgres --scale 100 --duration 60 --connections 50
    .venv/bin/python -m bench.run export  --engine postgres --scale 100 --repetitions 3
    .venv/bin/python -m bench.run fresh   --scale 100   # reloads the data, then the first downloads
    .venv/bin/python -m bench.run report

Each step writes JSON to bench/out/ (git-ignored); ``report`` turns whatever JSON is there into
bench/RESULTS.md. Adding a benchmark = a step that writes ``bench/out/<kind>-<engine>-scale<N>.json``
plus a section in ``bench/report.py`` (the export benchmark is the third).

Databases: the scale 100 data lives in the SQLite file bench/out/bench.sqlite3 and the PostgreSQL
database ``portal_bench``; other scales in siblings (bench/out/bench-scale1.sqlite3,
``portal_bench_scale1``), so that switching scale never regenerates a million rows. ``prepare``
migrates, loads the shipped data, adds the synthetic data (only if the right amount is not there
already) and collects the static files the production settings need.

1. Page time is server time measured in-process: Django's test Client drives the full WSGI handler
   and middleware stack (as gunicorn would, minus the socket), and the time is from the request to
   the whole body in hand. Each page is interleaved with the floor (bench/urls.py), a view that
   returns the same number of bytes through the same middleware, so both see the same machine load.
2. Query counts: one request after clearing the cache (cold) and one after (warm).
3. Exports: the whole pilot-updates CSV from gunicorn (1 worker) beside PostgreSQL's COPY of the same
   rows, in the same run; rows/s, their ratio and the worker's peak RSS (bench/export.py).
4. Load: gunicorn (as ``make serve`` runs it) and wrk (Debian's package) on the same machine, first
   a mix of every page that answers 200 (and the exports, when they answer), then the floor.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
ENGINES = ("sqlite", "postgres")
SCALES = (1, 100)
LOAD_SCALE = 100
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "portal_bench")  # scale 100; other scales add a suffix

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def scale_label(scale: float) -> str:
    return f"{scale:g}"


def database_url(engine: str, scale: float) -> str:
    suffix = "" if scale == 100 else f"scale{scale_label(scale).replace('.', '_')}"
    if engine == "sqlite":
        return f"sqlite:///{OUT / ('bench' + (f'-{suffix}' if suffix else '') + '.sqlite3')}"
    if engine == "postgres":
        return f"{PG_SERVER}/{PG_DATABASE}{f'_{suffix}' if suffix else ''}"
    raise SystemExit(f"unknown engine {engine!r}")


def out_file(kind: str, engine: str, scale: float) -> Path:
    return OUT / f"{kind}-{engine}-scale{scale_label(scale)}.json"


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


def setup_django(engine: str, scale: float) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_DATABASE_URL"] = database_url(engine, scale)
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


# ---------------------------------------------------------------- prepare


def ensure_postgres_database(url: str) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    connection = psycopg2.connect(f"{PG_SERVER}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", file=sys.stderr)
    connection.close()


def prepare(engine: str, scale: float) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("BENCH_STATEMENT_TIMEOUT", "900s")  # generate_load_data builds the million-row files
    if engine == "postgres":
        ensure_postgres_database(database_url(engine, scale))
    setup_django(engine, scale)
    from django.core.management import call_command

    from bench.synthetic import Plan, synthetic_counts

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_portal_data", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    plan = Plan.for_scale(scale).as_dict()
    if synthetic_counts() == plan:
        print(f"{engine} scale {scale_label(scale)}: synthetic data already in place", file=sys.stderr)
        return
    started, load_average = time.monotonic(), round(os.getloadavg()[0], 1)
    call_command("generate_load_data", scale=scale, clear=True, stdout=sys.stderr, stderr=sys.stderr)
    seconds = round(time.monotonic() - started, 1)  # generate_load_data leaves planner statistics itself
    write_json(
        out_file("generate", engine, scale),
        {
            "engine": engine,
            "scale": scale,
            "seconds": seconds,
            "rows": plan,
            "load_average": load_average,
        },
    )


# ---------------------------------------------------------------- 1 and 2: page time and query counts


def time_pages(engine: str, scale: float, iterations: int, budget: float) -> None:
    setup_django(engine, scale)
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.pages import discover_pages

    client = Client(raise_request_exception=False)
    load_average = round(os.getloadavg()[0], 1)  # others' work on the machine skews every figure

    def fetch(path: str) -> tuple[float, int, int]:
        started = time.perf_counter()
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = time.perf_counter() - started
        return elapsed, response.status_code, len(body)

    results = []
    for page in discover_pages():
        row: dict[str, Any] = {"url_name": page.url_name, "path": page.path, "missing": page.missing}
        results.append(row)
        if page.path is None:
            continue
        cache.clear()
        # Count straight away: the captured list is a slice of a log that later requests reset.
        with CaptureQueriesContext(connection) as captured:
            first, status, size = fetch(page.path)
        cold = len(captured)
        with CaptureQueriesContext(connection) as captured:
            second = fetch(page.path)[0]
        warm = len(captured)
        row.update(status=status, bytes=size, queries_cold=cold, queries_warm=warm, cold_ms=round(first * 1000, 1))
        if status != 200:
            continue
        floor_path = f"/bench-floor/{size}/"
        page_times, floor_times = [], []
        if second * 5 > budget:  # too slow for more samples: the two requests above will have to do
            page_times = [first * 1000, second * 1000]
            floor_times = [fetch(floor_path)[0] * 1000 for _ in range(2)]
        else:
            for _ in range(2):
                fetch(page.path), fetch(floor_path)
            budget_ends = time.monotonic() + budget
            # A page slower than the budget allows gets fewer samples (at least 3), and says so.
            while len(page_times) < iterations and (len(page_times) < 3 or time.monotonic() < budget_ends):
                page_times.append(fetch(page.path)[0] * 1000)
                floor_times.append(fetch(floor_path)[0] * 1000)
        row.update(
            samples=len(page_times),
            median_ms=round(statistics.median(page_times), 2),
            p95_ms=round(percentile(page_times, 0.95), 2),
            floor_median_ms=round(statistics.median(floor_times), 3),
            floor_p95_ms=round(percentile(floor_times, 0.95), 3),
        )
        row["ratio"] = round(row["median_ms"] / row["floor_median_ms"], 1)
        print(
            f"{page.url_name:24} {status} {size:>8}B q={cold}/{warm} "
            f"median {row['median_ms']:8.2f} ms p95 {row['p95_ms']:8.2f} ms floor {row['floor_median_ms']:.3f} ms",
            file=sys.stderr,
        )
    write_json(
        out_file("pages", engine, scale),
        {
            "engine": engine,
            "scale": scale,
            "iterations": iterations,
            "when": time.time(),
            "load_average": load_average,
            "pages": results,
        },
    )


# ---------------------------------------------------------------- 4: load


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(base: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited before serving")
        try:
            urllib.request.urlopen(f"{base}/bench-floor/1/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start serving in time")


def status_of(url: str) -> tuple[int, int]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, 0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> dict[str, Any]:
    def number(pattern: str) -> float | None:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else None

    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = number(r"Non-2xx or 3xx responses: (\d+)")
    requests = number(r"(\d+) requests in")
    return {
        "requests": int(requests or 0),
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "p99_ms": round(float(p99.group(1)) * _UNITS[p99.group(2)], 2) if p99 else None,
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        "non_2xx_3xx": int(non_2xx or 0),
        "errors": (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0) + int(non_2xx or 0),
    }


WARM_UP_SECONDS = 10


def run_wrk(base: str, paths: list[str], duration: int, connections: int, threads: int) -> dict[str, Any]:
    lua = "local paths = {" + ", ".join(json.dumps(p) for p in paths) + "}\n"
    lua += 'local i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
    with tempfile.NamedTemporaryFile("w", suffix=".lua", dir=OUT, delete=False) as script:
        script.write(lua)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script.name,
        base,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    Path(script.name).unlink()
    print(done.stdout, file=sys.stderr)
    return {**parse_wrk(done.stdout), "paths": paths, "wrk_output": done.stdout}


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    command = [str(Path(PYTHON).parent / "gunicorn"), "devolution_portal.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers)]
    if threads > 1:
        command += ["--threads", str(threads)]
    return command


def load(
    engine: str,
    scale: float,
    duration: int,
    connections: int,
    workers: int,
    threads: int,
    mix_kind: str = "all",
    redis_url: str = "",
) -> None:
    """``mix_kind`` "all": every page and every dataset's CSV in turn; "pages": the pages alone.
    ``redis_url``: the server's cache, as a deployment of several workers has it (emptied first; the
    bench's own database number); empty: each worker's memory, rate-limit counts in the database."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    setup_django(engine, scale)  # only to find the pages; gunicorn runs in its own processes
    from bench.pages import candidate_exports, discover_pages

    load_average = round(os.getloadavg()[0], 1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_DATABASE_URL": database_url(engine, scale)}
    env["REDIS_URL"] = redis_url
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()
    command = gunicorn_command(port, workers, threads)
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_serving(base, server)
        mix, sizes, skipped = [], [], []
        candidates = discover_pages() + (candidate_exports() if mix_kind == "all" else [])
        for page in candidates:
            if page.path is None:
                skipped.append({"url_name": page.url_name, "why": page.missing})
                continue
            status, size = status_of(base + page.path)  # also warms each worker's caches a little
            if status == 200:
                mix.append(page.path)
                sizes.append(size)
            else:
                skipped.append({"url_name": page.url_name, "why": f"answers {status}"})
        if not mix:
            raise SystemExit("no page answers 200: nothing to load")
        floor_size = round(statistics.mean(sizes))
        threads_wrk = min(os.cpu_count() or 2, connections)
        print(f"load: {len(mix)} paths, {duration}s, {connections} connections", file=sys.stderr)
        # A warm-up under the same load, not measured: every worker renders each page once before the
        # measured minute (the first renders are measured as the 'cold' column of section 1), as a
        # server that has been up a while has.
        run_wrk(base, mix, WARM_UP_SECONDS, connections, threads_wrk)
        mixed = run_wrk(base, mix, duration, connections, threads_wrk)
        run_wrk(base, [f"/bench-floor/{floor_size}/"], WARM_UP_SECONDS, connections, threads_wrk)
        floor = run_wrk(base, [f"/bench-floor/{floor_size}/"], duration, connections, threads_wrk)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    write_json(
        out_file("load" if mix_kind == "all" else f"load-{mix_kind}", engine, scale),
        {
            "engine": engine,
            "scale": scale,
            "duration_s": duration,
            "warm_up_s": WARM_UP_SECONDS,
            "connections": connections,
            "server": " ".join(Path(part).name if part.startswith("/") else part for part in command)
            + (", cache in Redis (REDIS_URL)" if redis_url else ", cache in each worker's memory"),
            "wrk_threads": threads_wrk,
            "floor_bytes": floor_size,
            "skipped": skipped,
            "mix": mixed,
            "floor": floor,
            "when": time.time(),
            "load_average": load_average,
        },
    )


# ---------------------------------------------------------------- everything


def run_step(*args: str) -> None:
    command = [PYTHON, "-m", "bench.run", *args]
    print("$", " ".join(["python", "-m", "bench.run", *args]), file=sys.stderr)
    subprocess.run(command, cwd=ROOT, check=True)


def run_all(arguments: argparse.Namespace) -> None:
    for engine in arguments.engines:
        for scale in SCALES:
            run_step("prepare", "--engine", engine, "--scale", scale_label(scale))
            run_step(
                "pages", "--engine", engine, "--scale", scale_label(scale), "--iterations", str(arguments.iterations)
            )
        if engine == "postgres" and not arguments.skip_export:
            run_step("export", "--engine", engine, "--scale", str(LOAD_SCALE))
            run_step("fresh", "--scale", str(LOAD_SCALE))  # reloads the same data (same seed)
            run_step("peers", "--scale", str(LOAD_SCALE))  # needs the SQLite data too (Datasette reads it)
        if not arguments.skip_load:
            for mix_kind in ("all", "pages"):
                run_step(
                    "load",
                    "--engine",
                    engine,
                    "--scale",
                    str(LOAD_SCALE),
                    "--duration",
                    str(arguments.duration),
                    "--connections",
                    str(arguments.connections),
                    "--mix",
                    mix_kind,
                )
    run_step("report")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)

    def with_target(step: argparse.ArgumentParser, scale: float | None = None) -> argparse.ArgumentParser:
        step.add_argument("--engine", choices=ENGINES, required=True)
        step.add_argument("--scale", type=float, required=scale is None, default=scale)
        return step

    with_target(steps.add_parser("prepare", help="migrate, load the shipped data, add synthetic data"))
    with_target(steps.add_parser("pages", help="1 and 2: page time beside the floor, query counts"))
    steps.choices["pages"].add_argument("--iterations", type=int, default=50)
    steps.choices["pages"].add_argument(
        "--budget", type=float, default=60, help="seconds per page; a slower page gets fewer samples (at least 3)"
    )
    load_step = with_target(steps.add_parser("load", help="4: gunicorn under wrk"), scale=LOAD_SCALE)
    load_step.add_argument("--duration", type=int, default=60)
    load_step.add_argument("--connections", type=int, default=50)
    load_step.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    load_step.add_argument("--threads", type=int, default=4)  # as make serve runs it
    load_step.add_argument(
        "--mix", choices=("all", "pages"), default="all", help="every page and every CSV, or the pages alone"
    )
    load_step.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        help="the server's cache (emptied first); '' for each worker's memory",
    )
    export_step = with_target(
        steps.add_parser("export", help="3: the pilot-updates CSV from gunicorn beside COPY"), scale=LOAD_SCALE
    )
    export_step.add_argument("--repetitions", type=int, default=3)
    export_step.add_argument("--port", type=int, default=8107)
    export_step.add_argument("--query", default="", help="filter parameters, e.g. year=2020 (default: every row)")
    export_step.add_argument("--python-loop", action="store_true", help="also time a plain csv loop (yardstick)")
    export_step.add_argument(
        "--writer", choices=("default", "python"), default="default", help="python: the endpoint with COPY off"
    )
    fresh_step = steps.add_parser("fresh", help="3b: the first downloads right after a bulk load (reloads the data)")
    fresh_step.add_argument("--scale", type=float, default=LOAD_SCALE)
    peers_step = steps.add_parser("peers", help="5: exports beside COPY of the table and Datasette")
    peers_step.add_argument("--scale", type=float, default=LOAD_SCALE)
    peers_step.add_argument("--repetitions", type=int, default=3)
    steps.add_parser("report", help="write bench/RESULTS.md from bench/out/*.json")
    every = steps.add_parser("all", help="prepare, pages and load for each engine, then the report")
    every.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    every.add_argument("--iterations", type=int, default=50)
    every.add_argument("--duration", type=int, default=60)
    every.add_argument("--connections", type=int, default=50)
    every.add_argument("--skip-load", action="store_true")
    every.add_argument("--skip-export", action="store_true")
    arguments = parser.parse_args(argv)

    if arguments.step == "prepare":
        prepare(arguments.engine, arguments.scale)
    elif arguments.step == "pages":
        time_pages(arguments.engine, arguments.scale, arguments.iterations, arguments.budget)
    elif arguments.step == "load":
        load(
            arguments.engine,
            arguments.scale,
            arguments.duration,
            arguments.connections,
            arguments.workers,
            arguments.threads,
            arguments.mix,
            arguments.redis_url,
        )
    elif arguments.step == "export":
        from bench.export import export_benchmark

        export_benchmark(
            arguments.engine,
            arguments.scale,
            arguments.repetitions,
            port=arguments.port,
            query=arguments.query,
            python_loop=arguments.python_loop,
            writer=arguments.writer,
        )
    elif arguments.step == "fresh":
        from bench.export import fresh_load_benchmark

        fresh_load_benchmark(arguments.scale)
    elif arguments.step == "peers":
        from bench.peers import peers_benchmark

        peers_benchmark(arguments.scale, arguments.repetitions)
    elif arguments.step == "report":
        from bench.report import write_report

        write_report(machine())
    else:
        run_all(arguments)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    versions = {}
    for name, command in (
        ("PostgreSQL", ["psql", "--version"]),
        ("wrk", ["wrk", "--version"]),
        ("Redis", ["redis-server", "--version"]),
    ):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10)
            versions[name] = (done.stdout or done.stderr).splitlines()[0].strip()
        except (OSError, IndexError, subprocess.TimeoutExpired):
            versions[name] = "not installed"
    import sqlite3

    import django

    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        **versions,
    }


if __name__ == "__main__":
    main()
