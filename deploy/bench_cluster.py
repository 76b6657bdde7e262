"""Throughput through nginx with one and with two app servers, and the replica's lag meanwhile.

    .venv/bin/python deploy/bench_cluster.py [--seconds 20] [--connections 20]

Against `make cluster` (started if it is not running, and then stopped again). wrk (Debian's package)
sends a mix of public pages and a small export, as anonymous visitors would, with the page cache on as
deployed. Meanwhile a writer commits a heartbeat row 20 times a second on the primary (in a database
of its own, `cluster_heartbeat`) and the replica is sampled every half second: lag = the replica's clock
minus the newest heartbeat it has replayed (same machine, same clock), beside pg_stat_replication's
replay_lag. Writes a "Cluster throughput" section to bench/RESULTS.md and prints it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from background import BackgroundThreads

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ["bash", str(ROOT / "deploy" / "cluster.sh")]
RESULTS = ROOT / "bench" / "RESULTS.md"
BASE = "http://127.0.0.1:8080"
MIX = ["/", "/pilots/", "/boroughs/", "/boroughs/hackney/", "/sources/", "/timeline/", "/data/", "/ics/",
       "/pilots/hackney-health-and-social-care-integration/", "/data/pilots.csv"]  # fmt: skip
PRIMARY = "host=127.0.0.1 port=5434 user=postgres"
REPLICA = "host=127.0.0.1 port=5435 user=postgres"
LUA = """
paths = {%s}
i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def cluster(*args: str, env: dict | None = None) -> None:
    subprocess.run([*CLUSTER, *args], check=True, cwd=ROOT, env={**os.environ, **(env or {})})


def heartbeat_database() -> None:
    admin = psycopg2.connect(PRIMARY + " dbname=postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = 'cluster_heartbeat'")
        if cursor.fetchone() is None:
            cursor.execute("CREATE DATABASE cluster_heartbeat")
    admin.close()
    beat = psycopg2.connect(PRIMARY + " dbname=cluster_heartbeat")
    beat.autocommit = True
    with beat.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS beat (id bigserial PRIMARY KEY, at timestamptz NOT NULL)")
        cursor.execute("TRUNCATE beat")
    beat.close()
    time.sleep(1)  # the table reaches the replica


class LagProbe(BackgroundThreads):
    """Writes a heartbeat row on the primary every 50 ms and samples how far behind the replica is."""

    def __init__(self) -> None:
        super().__init__(self.write, self.sample)
        self.lags: list[float] = []
        self.replay_lags: list[float] = []

    def write(self) -> None:
        connection = psycopg2.connect(PRIMARY + " dbname=cluster_heartbeat")
        connection.autocommit = True
        with connection.cursor() as cursor:
            while not self.stop.wait(0.05):
                cursor.execute("INSERT INTO beat (at) VALUES (clock_timestamp())")
        connection.close()

    def sample(self) -> None:
        replica = psycopg2.connect(REPLICA + " dbname=cluster_heartbeat")
        replica.autocommit = True
        primary = psycopg2.connect(PRIMARY + " dbname=cluster_heartbeat")
        primary.autocommit = True
        age = "SELECT extract(epoch FROM clock_timestamp() - max(at)) FROM beat"
        while not self.stop.wait(0.5):
            # The newest row is up to 50 ms old on the primary too: the lag is how much older it is on
            # the replica (both asked at once, on the same clock).
            with primary.cursor() as on_primary, replica.cursor() as on_replica:
                on_primary.execute(age)
                on_replica.execute(age)
                (primary_age,), (replica_age,) = on_primary.fetchone(), on_replica.fetchone()
            if primary_age is not None and replica_age is not None:
                self.lags.append(max(0.0, float(replica_age) - float(primary_age)))
            with primary.cursor() as cursor:
                cursor.execute("SELECT extract(epoch FROM replay_lag) FROM pg_stat_replication")
                row = cursor.fetchone()
            if row and row[0] is not None:
                self.replay_lags.append(float(row[0]))
        replica.close()
        primary.close()


def wrk(seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(f'"{path}"' for path in MIX))
    try:
        done = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script.name, BASE],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        )
    finally:
        os.unlink(script.name)
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "none"}  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    started = subprocess.run([*CLUSTER, "status"], capture_output=True, cwd=ROOT, check=False).returncode != 0
    if started:
        cluster("start")
    rows = []
    try:
        heartbeat_database()
        for label, ports in (("1 app server", "8101"), ("2 app servers", "8101 8102")):
            cluster("stop-nginx")
            cluster("start-nginx", env={"CLUSTER_APP_PORTS": ports})
            load_before = os.getloadavg()[0]
            with LagProbe() as probe:
                result = wrk(args.seconds, args.connections)
            rows.append((label, load_before, result, probe))
            print(label, result, f"lag median {statistics.median(probe.lags) * 1000:.1f} ms", flush=True)
        cluster("stop-nginx")
        cluster("start-nginx")
    finally:
        if started:
            cluster("stop")

    lines = [
        "## Cluster throughput and replica lag",
        "",
        f"`deploy/bench_cluster.py`, {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}: wrk, 2 threads, "
        f"{args.connections} connections, {args.seconds} s, through nginx on 127.0.0.1:8080, cycling over "
        f"{len(MIX)} paths ({', '.join(f'`{p}`' for p in MIX)}), anonymous, page cache on as deployed (Redis). "
        "Each app server: gunicorn, 2 workers x 4 threads. Everything (nginx, app servers, both PostgreSQL "
        "servers, Redis, wrk) shares this machine's 2 cores. Replica lag: a heartbeat row committed on the "
        "primary every 50 ms, both sampled every 0.5 s: lag = how much older the newest row is on the "
        "replica than on the primary (one clock), beside pg_stat_replication.replay_lag.",
        "",
        "| app servers | load average before | requests/s | p50 | p99 | non-2xx | socket errors | replica lag "
        "median / p95 / max | replay_lag max |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for label, load_before, r, probe in rows:
        lags = probe.lags
        lag = (
            f"{statistics.median(lags) * 1000:.1f} / {percentile(lags, 0.95) * 1000:.1f} / {max(lags) * 1000:.1f} ms"
            if lags
            else "-"
        )
        replay = f"{max(probe.replay_lags) * 1000:.1f} ms" if probe.replay_lags else "-"
        lines.append(
            f"| {label} | {load_before:.1f} | {r['rps']:.1f} | {r['p50']} | {r['p99']} | {r['non_2xx']} | "
            f"{r['socket_errors']} | {lag} | {replay} |"
        )
    lines.append("")
    section = "\n".join(lines)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    match = re.search(r"^## Cluster throughput and replica lag\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    text = text[: match.start()] + section + "\n" + text[match.end() :] if match else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n")
    print(section)


if __name__ == "__main__":
    main()
