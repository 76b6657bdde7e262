"""bench/RESULTS.md from the JSON the benchmark steps left in bench/out/.

Each section reads its own files and says plainly when they are not there yet, so the report can be
written after any subset of the steps. A new benchmark adds a function to SECTIONS.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

from bench.run import ENGINES, LOAD_SCALE, OUT, ROOT, SCALES, out_file, scale_label

RESULTS = ROOT / "bench" / "RESULTS.md"
MAX_QUERIES = 12
MAX_PAGE_RATIO = 3.0
MAX_P99_MS = 250.0
MIN_RPS_SHARE = 0.5


def _read(kind: str, engine: str, scale: float) -> dict[str, Any] | None:
    path = out_file(kind, engine, scale)
    return json.loads(path.read_text()) if path.exists() else None


def _ok(passed: bool | None) -> str:
    return "-" if passed is None else ("yes" if passed else "**no**")


def _when(data: dict[str, Any]) -> str:
    when = datetime.datetime.fromtimestamp(data["when"]).strftime("%Y-%m-%d %H:%M")
    if "load_average" in data:
        when += f", machine load average {data['load_average']:g} at the start"
    return when


def section_data() -> list[str]:
    lines = [
        "## The data",
        "",
        "Scale N = the shipped data plus N x (50 pilots, 10,000 pilot updates, 200 sources, 80 timeline events, "
        "120 key figures) from `python manage.py generate_load_data --scale N`: slugs start with `synthetic-`, "
        "titles with `[Synthetic]`, all published; each synthetic pilot has 1-5 of the real 33 authorities; "
        "updates spread over 2015-2025 with day, month and year precision and about 3 % undated; "
        "1-2 synthetic sources per update. No areas are added. Bulk inserts (`bulk_create`, batches of 5,000), "
        "so no history rows are written for synthetic records.",
        "",
        "| engine | scale | rows | generation time |",
        "|---|---|---|---|",
    ]
    found = False
    for engine in ENGINES:
        for scale in SCALES:
            data = _read("generate", engine, scale)
            if data:
                found = True
                rows = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in data["rows"].items())
                note = f" ({data['note']})" if data.get("note") else ""
                if "load_average" in data and not note:
                    note = f" (machine load average {data['load_average']:g} at the start)"
                lines.append(f"| {engine} | {scale_label(scale)} | {rows} | {data['seconds']:.0f} s{note} |")
    if not found:
        lines.append("| - | - | not generated yet | - |")
    return [*lines, ""]


def section_pages() -> list[str]:
    lines = [
        "## 1. Page time",
        "",
        "Server time: Django's test Client in-process, through the full middleware stack, from the request to "
        "the whole body; the floor is `bench/urls.py`'s view returning as many bytes through the same "
        "middleware, timed in the same loop (page, floor, page, floor, ...). Ratio = page median / floor median. "
        "Repeat requests are served by the whole-page cache (production settings, as deployed); 'cold' is the "
        "first request after emptying the cache, i.e. the full render. "
        f"Target: median at scale {LOAD_SCALE} at most {MAX_PAGE_RATIO:g} x the floor.",
        "",
    ]
    for engine in ENGINES:
        runs = {scale: _read("pages", engine, scale) for scale in SCALES}
        if not any(runs.values()):
            lines += [f"### {engine}", "", "Not run yet.", ""]
            continue
        first = next(run for run in runs.values() if run)
        lines += [
            f"### {engine} ({first['iterations']} iterations per page, {_when(first)})",
            "",
            "| page | bytes ("
            + " / ".join(f"scale {scale_label(s)}" for s in SCALES)
            + ") | "
            + " | ".join(f"scale {scale_label(s)} median / p95 (ms) | floor (ms) | ratio" for s in SCALES)
            + " | target met |",
            "|---|---:|" + "---:|---:|---:|" * len(SCALES) + "---|",
        ]
        for index, page in enumerate(first["pages"]):
            cells, sizes, met = [], [], None
            for scale in SCALES:
                row = runs[scale]["pages"][index] if runs[scale] else None
                if row is None or row.get("path") is None:
                    cells += ["missing" if row else "-", "", ""]
                    continue
                if "median_ms" not in row:
                    cells += [f"answers {row.get('status')}", "", ""]
                    continue
                sizes.append(f"{row['bytes']:,}")
                samples = row.get("samples", runs[scale]["iterations"])
                few = f" ({samples} samples)" if samples < runs[scale]["iterations"] else ""
                cold = f"; cold {row['cold_ms']:.0f}" if "cold_ms" in row else ""
                cells += [
                    f"{row['median_ms']:.1f} / {row['p95_ms']:.1f}{few}{cold}",
                    f"{row['floor_median_ms']:.2f}",
                    f"{row['ratio']:g}x",
                ]
                if scale == LOAD_SCALE:
                    met = row["ratio"] <= MAX_PAGE_RATIO
            size = " / ".join(sizes)
            lines.append(f"| `{page['url_name']}` | {size} | " + " | ".join(cells) + f" | {_ok(met)} |")
        lines.append("")
    return lines


def section_queries() -> list[str]:
    columns = [(engine, scale) for engine in ENGINES for scale in SCALES]
    runs = {column: _read("pages", *column) for column in columns}
    lines = [
        "## 2. Query counts",
        "",
        "Queries for one request after `cache.clear()` (cold) / for the next one (warm). "
        f"Target: the same at scale 1 and {LOAD_SCALE}, at most {MAX_QUERIES}.",
        "",
        "| page | "
        + " | ".join(f"{engine} scale {scale_label(scale)}" for engine, scale in columns)
        + " | target met |",
        "|---|" + "---:|" * len(columns) + "---|",
    ]
    reference = next((run for run in runs.values() if run), None)
    if reference is None:
        return [*lines, "| not run yet |" + " |" * (len(columns) + 1), ""]
    missing = []
    for index, page in enumerate(reference["pages"]):
        cells, counts, failed = [], {}, False
        for column in columns:
            row = runs[column]["pages"][index] if runs[column] else None
            if row is None:
                cells.append("-")
            elif row.get("path") is None:
                cells.append("missing")
            else:
                cells.append(f"{row['queries_cold']} / {row['queries_warm']}")
                if row.get("status") == 200:
                    counts[column] = row["queries_cold"]
                else:
                    cells[-1] += f" ({row.get('status')})"
                    failed = True
        if page.get("path") is None:
            missing.append(page["url_name"])
        met = None
        if counts:
            same = all(
                counts.get((engine, 1)) == counts.get((engine, LOAD_SCALE))
                for engine in ENGINES
                if (engine, 1) in counts and (engine, LOAD_SCALE) in counts
            )
            met = same and not failed and max(counts.values()) <= MAX_QUERIES
        lines.append(f"| `{page['url_name']}` | " + " | ".join(cells) + f" | {_ok(met)} |")
    if missing:
        lines += ["", "Not built yet when this ran (URL name missing): " + ", ".join(f"`{m}`" for m in missing) + "."]
    return [*lines, ""]


def _export_row(name: str, data: dict[str, Any]) -> str:
    summary, targets = data["summary"], data["targets"]
    ratio, peak = summary["ratio"] or 0, summary["endpoint_peak_rss_max_mb"]
    met = ratio >= targets["share_of_copy"] and peak < targets["peak_rss_mb"] and summary["all_complete"]
    loads = ", ".join(f"{value:g}" for value in data.get("load_averages", []))
    loop = summary.get("python_loop_rows_per_second")
    # Each endpoint run beside the COPY run right after it: the same load, so the fairest single figures.
    pairs = zip(data["runs"]["endpoint"], data["runs"]["copy"], strict=False)
    per_run = " / ".join(f"{e['rows_per_second'] / c['rows_per_second']:.0%}" for e, c in pairs)
    floor = data.get("warm_up_no_rows", {}).get("worker_peak_rss_mb")
    floor_note = f"; 0 rows: {floor:.0f} MB" if floor else ""
    return (
        f"| {name} | {_when(data).split(',')[0]} | {data['rows']:,} | {data['repetitions']} "
        f"| {summary['endpoint_rows_per_second']:,.0f} | {summary['copy_rows_per_second']:,.0f} "
        f"| **{ratio:.0%}** (each run: {per_run}; target {targets['share_of_copy']:.0%}) "
        f"| {summary['endpoint_peak_rss_mb']:.0f} MB (max {peak:.0f}{floor_note}; "
        f"target < {targets['peak_rss_mb']} MB) "
        f"| {f'{loop:,.0f}' if loop else '-'} | {loads} | {_ok(met)} |"
    )


def section_exports() -> list[str]:
    lines = [
        "## 3. Exports (CSV vs COPY)",
        "",
        f"`bench/export.py`, PostgreSQL at scale {LOAD_SCALE}: the whole `/data/pilot-updates.csv` from gunicorn "
        "(bench settings, 1 sync worker, `--timeout 900`) on 127.0.0.1:8107, read to the last byte by the "
        "benchmark over HTTP, beside `COPY (<the export's SELECT>) TO STDOUT WITH CSV HEADER` of the same "
        "columns, rows and order through psycopg2's `copy_expert` into a counting sink, in turn in the same run. "
        "Rows/s = rows / seconds; medians of the repetitions; ratio = endpoint / COPY. Peak RSS = the worker's "
        "VmHWM, reset before each request. The plain loop is a csv.writer over a server-side cursor of the same "
        "SELECT, for comparison. Targets: at least 40 % of COPY's rows/s, peak RSS under 150 MB.",
        "",
        "| export path | when | rows | runs | endpoint rows/s | COPY rows/s | endpoint / COPY | worker peak RSS "
        "| plain loop rows/s | load averages (1 min) at each run | targets met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    engine = "postgres"
    before = _read("export-before", engine, LOAD_SCALE)
    python = _read("export-python", engine, LOAD_SCALE)
    after = _read("export", engine, LOAD_SCALE)
    if before is None and after is None and python is None:
        return [*lines, "| not run yet |" + " |" * 10, ""]
    if before is not None:
        lines.append(_export_row(f"before: {before['export_path']}", before))
    if python is not None:
        lines.append(_export_row("after, COPY off (`--writer python`): the Python writer, as before", python))
    if after is not None:
        lines.append(_export_row("after: " + after["export_path"], after))
    notes = [
        "",
        "Since the prepared exports (datasets/prepared.py) the endpoint's whole file is built by the first request "
        "after a change and read from a stored file after that, so a run after the first measures the file, not "
        "COPY (section 5 measures both, beside Datasette). Before that: the rows cost PostgreSQL most of the time "
        "(a correlated subquery per row "
        "for `source_slugs`, about 0.02 ms, on one index scan), so COPY itself runs at 40-55k rows/s on a quiet "
        "machine. Before, Django's server-side cursor outside a transaction is declared WITH HOLD, so "
        "PostgreSQL computed and stored the whole result (about 500 MB) before the first byte (18-32 s), and "
        "the worker then spent 15-17 s of CPU in Python afterwards, one after the other. With COPY "
        "(datasets/copy.py) PostgreSQL writes the CSV as it computes the rows and the worker only moves bytes "
        "(turning row ends into CRLF) in parallel; what is left between the endpoint and COPY is the SQL-side "
        "neutralisation, the HTTP hop and the three processes (PostgreSQL, worker, client) sharing 2 cores. "
        "The figures swing with the machine's load (shown); the per-run ratios, each endpoint run beside the "
        "COPY run right after it, are the figures to compare. A million rows take 25-75 s: a sync gunicorn "
        "worker would be killed by the default 30 s `--timeout` part-way through, hence `--timeout 900` here; "
        "`make serve` runs threaded workers (`--threads 4`), whose heartbeat a long download does not block.",
        "",
    ]
    return [*lines, *notes]


def section_load() -> list[str]:
    lines = [
        "## 4. Load",
        "",
        f"gunicorn as `make serve` runs it, at scale {LOAD_SCALE}, and wrk on the same machine: first a mix of every "
        "page and every dataset's CSV (whole, except the pilot updates and the timeline, filtered to one pilot) "
        "that answers 200, "
        "in turn, then the floor view (the mix's mean size) under the same load; then the same with the pages alone "
        "(the million-row export is section 3's business). Each run is preceded by a warm-up of the same load "
        "(10 s, not measured), so that every worker has rendered each page once, as a server that has been up a "
        "while has (first renders are section 1's 'cold' column). The server's cache is Redis where the row says "
        "so (`REDIS_URL`, as a deployment of several workers or app servers is configured), else each worker's "
        "memory, with the export limit's counts in the database. "
        f"Targets: zero errors, p99 under {MAX_P99_MS:g} ms, at least {MIN_RPS_SHARE:.0%} of the floor's "
        "requests per second.",
        "",
        "| engine | server | duration, connections, load average before | mix: req/s | p99 | errors "
        "| floor: req/s | p99 | mix / floor req/s | targets met |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    notes = []
    for engine, kind in ((engine, kind) for engine in ENGINES for kind in ("load", "load-pages")):
        data = _read(kind, engine, LOAD_SCALE)
        label = engine if kind == "load" else f"{engine}, pages only"
        if data is None:
            lines.append(f"| {label} | not run yet |" + " |" * 8)
            continue
        mix, floor = data["mix"], data["floor"]
        share = mix["requests_per_second"] / floor["requests_per_second"] if floor["requests_per_second"] else 0
        met = mix["errors"] == 0 and (mix["p99_ms"] or 1e9) < MAX_P99_MS and share >= MIN_RPS_SHARE
        lines.append(
            f"| {label} | `{data['server']}` | {data['duration_s']} s, {data['connections']}, "
            f"{data.get('load_average', '?')} "
            f"| {mix['requests_per_second']:,.1f} | {mix['p99_ms']:,.0f} ms | {mix['errors']:,} "
            f"| {floor['requests_per_second']:,.1f} | {floor['p99_ms']:,.0f} ms | {share:.0%} | {_ok(met)} |"
        )
        if data["skipped"]:
            notes.append(
                f"{label}: left out of the mix: "
                + ", ".join(f"`{s['url_name']}` ({s['why']})" for s in data["skipped"])
                + f"; {len(mix['paths'])} paths in the mix."
            )
    notes.append(
        "Whole datasets in the mix are prepared files (built by the mix's first request, then read from the "
        "exports folder); the filtered pilot updates and timeline are live and kept in the cache when small. The "
        "floor view, "
        "sending the same bytes and doing nothing else, is the yardstick: where its own p99 is far over 250 ms "
        "the machine was busy with other work (the load averages are shown) and the run cannot say whether the "
        "portal meets the target. What would close a real miss: serving exports from their own app servers (or a "
        "CDN keyed on the data version) so that they never queue behind pages, and more than 2 cores."
    )
    return [*lines, "", *notes, ""] if notes else [*lines, ""]


TARGET_FIRST_BYTE_WHOLE_S = 0.2
TARGET_FIRST_BYTE_FILTERED_S = 1.0
TARGET_FIRST_BYTE_FRESH_S = 2.0
TARGET_PEAK_MB = 150
TARGET_COLD_MS = 500


def _rate(summary: dict[str, Any]) -> str:
    first = summary.get("first_byte_seconds")
    first_text = f", first byte {first * 1000:,.0f} ms" if first is not None else ""
    return (
        f"{summary['rows_per_second']:,.0f} rows/s ({summary['rows']:,} rows in {summary['seconds']:.2f} s{first_text})"
    )


def _cold_pages(engine: str) -> tuple[list[tuple[str, float]], float | None]:
    data = _read("pages", engine, LOAD_SCALE)
    if data is None:
        return [], None
    colds = [(page["url_name"], page["cold_ms"]) for page in data["pages"] if page.get("cold_ms") is not None]
    return colds, max((ms for _, ms in colds), default=None)


# Why each target row reads as it does in the 2026-12-01 run (re-read against a new run: the figures are that run's).
TARGET_NOTES = [
    "How to read this run: every step above ran in one session, 2026-12-01 11:54-12:28 UTC, on a machine doing "
    "nothing else (load average 0.8-1.5 at the start of the page, export, fresh and peers steps; 5.9-7.6 at the "
    "start of the load steps, which is the previous wrk run's own load). The data generation times (section "
    "'The data') are from earlier runs of the same seed. The commands above repeat any step.",
    "Filtered export, first byte: each update's source list is a subquery per row found by the link table's "
    "index, so rows leave in the export's order without the whole set grouped and sorted first (EXPLAIN: one "
    "subplan a row, nothing that reads every row above the scan; tests/datasets/test_first_rows.py); the COPY "
    "keeps its inner query apart (OFFSET 0, so the CSV formatting does not repeat the subquery) and runs with "
    "JIT off (EXPLAIN ANALYZE had shown 1.3 s of JIT compiling before the first row). Before, on a loaded "
    "machine: 3,324 ms to the first byte.",
    "Fresh bulk load: `generate_load_data` leaves planner statistics (its own ANALYZE) and ends with `manage.py "
    "prepare_exports` (every dataset's whole CSV, 26.7 s for all eleven at scale 100), so the first download "
    "after a load is a stored file; before, the first request built the million-row file behind a whole-set "
    "sort (23 s to the first byte). A first request after an ordinary edit builds the file while sending it: "
    "every whole export, the timeline included, now streams from its first row (the timeline view's two halves "
    "are read in the order of their partial indexes and merged: a Merge Append, no sort). The price of the "
    "per-row look-ups: PostgreSQL spends more in all on the whole million (standalone COPY 8.6 s here), once "
    "per change of the data.",
    "Cold pages: every page under 500 ms cold at scale 100 on both engines; slowest the feed on SQLite (335 ms) "
    "and search on PostgreSQL (238 ms; it ranks up to 1,001 candidates by computing their weighted vectors, "
    "which a stored vector column would save). What did it: the timeline view works out `public` and `undated` "
    "in SQL (pilots migration 0006, its rule held to `public_condition` by tests/pilots/test_timeline_view.py), "
    "so each half is read in the order of a partial index and merged and stops after one page; parents' "
    "publication states read as EXISTS where a page walks the child's own index (borough page, home page, "
    "feeds, the timeline's years); the data hub counts in one query, the million updates from an index of "
    "(publication state, pilot) (migration 0007), kept until the page cache's generation changes; filter "
    "selects of 5,000 pilots drawn in one pass. Before, on a loaded machine: SQLite timeline 5,535 ms, search "
    "4,688 ms, borough page 2,464 ms; PostgreSQL timeline 1,072 ms.",
    "Load mix: with the cache in Redis, as a deployment of several workers or app servers is configured, and a "
    "10 s warm-up. SQLite meets every target (p99 191 ms, 135% of the floor's requests per second); PostgreSQL "
    "misses p99 by 4 ms (254 ms) while its floor, which only sends bytes, had 233 ms in the same minutes and "
    "the mix ran at 99% of the floor's rate: on 2 cores shared with wrk the portal adds almost nothing to the "
    "floor, and the floor itself is at the target. What would close it: a second app server (the cluster "
    "measured 290 req/s with one and 450 with two, section 'Cluster throughput'), or the prepared files' data "
    "version read from the page cache's generation instead of one query per download. Without Redis and without "
    "the warm-up (the first runs of this session, 11:58-12:03, SQLite): full mix p99 1,650 ms at 45% of the "
    "floor, pages alone p99 1,210 ms. Two causes: each worker's first render of every page queued the 50 "
    "connections behind it, and every export request counts its rate limit in the database (a write, which "
    "SQLite serialises).",
]


def section_targets() -> list[str]:
    """Issue 14's targets, each beside what this run measured."""
    lines = [
        "## Targets (issue 14), measured side by side",
        "",
        "| what | target | measured | met |",
        "|---|---|---|---|",
    ]
    peers = _read("peers", "postgres", LOAD_SCALE)
    if peers is None:
        lines.append("| exports | - | peers step not run yet | - |")
    else:
        s = peers["summary"]
        whole, copy_table, year, datasette = (
            s["portal_whole_prepared"],
            s["copy_table"],
            s["portal_year"],
            s["datasette_year"],
        )
        met = (
            whole["rows_per_second"] >= copy_table["rows_per_second"]
            and (whole["first_byte_seconds"] or 1e9) < TARGET_FIRST_BYTE_WHOLE_S
        )
        lines.append(
            f"| unfiltered `pilot-updates.csv`, PostgreSQL, scale {LOAD_SCALE:g} (prepared file) "
            f"| >= COPY of the table ({copy_table['rows_per_second']:,.0f} rows/s), first byte < "
            f"{TARGET_FIRST_BYTE_WHOLE_S * 1000:.0f} ms | {_rate(whole)} | {_ok(met)} |"
        )
        ratio = year["rows_per_second"] / datasette["rows_per_second"]
        met = ratio >= 2 and (year["first_byte_seconds"] or 1e9) < TARGET_FIRST_BYTE_FILTERED_S
        lines.append(
            f"| filtered export `?year={peers['year']}` | >= 2 x Datasette `_stream=on` on the same rows "
            f"({_rate(datasette)}); first byte < {TARGET_FIRST_BYTE_FILTERED_S:g} s | {_rate(year)}: "
            f"**{ratio:.1f} x** Datasette | {_ok(met)} |"
        )
        peaks = [s[key]["peak_rss_mb"] for key in ("portal_whole_first", "portal_whole_prepared", "portal_year")]
        peak = max(p for p in peaks if p)
        lines.append(
            f"| peak memory of the serving process | < {TARGET_PEAK_MB} MB at any size | {peak:.0f} MB (gunicorn "
            f"worker's VmHWM, the whole million-row file built and served, and the filtered export) "
            f"| {_ok(peak < TARGET_PEAK_MB)} |"
        )
        first = s["portal_whole_first"]
        built = (
            f"whole file built while streamed (section 5, a fresh exports folder): first byte "
            f"{first['first_byte_seconds'] * 1000:,.0f} ms, {first['seconds']:.1f} s in all"
        )
        firsts = [first["first_byte_seconds"]]
        fresh_run = _read("fresh", "postgres", LOAD_SCALE)
        if fresh_run is None:
            measured = f"{built}; filtered: {year['first_byte_seconds'] * 1000:,.0f} ms"
            firsts.append(year["first_byte_seconds"])
        else:
            after = fresh_run["requests"]
            firsts += [after["whole"]["first_byte_seconds"], after["year"]["first_byte_seconds"]]
            measured = (
                f"the first requests right after `generate_load_data --scale {LOAD_SCALE:g}` ({_when(fresh_run)}; "
                f"{fresh_run['load_seconds']:.0f} s with its own ANALYZE and `prepare_exports`): whole file "
                f"{after['whole']['first_byte_seconds'] * 1000:,.0f} ms to the first byte (prepared by the loader), "
                f"`?year={fresh_run['year']}` {after['year']['first_byte_seconds'] * 1000:,.0f} ms; {built}"
            )
        fresh = max(seconds or 1e9 for seconds in firsts)
        lines.append(
            f"| any export after a fresh bulk load, no manual `ANALYZE` | first byte < {TARGET_FIRST_BYTE_FRESH_S:g} s "
            f"| {measured} | {_ok(fresh < TARGET_FIRST_BYTE_FRESH_S)} |"
        )
    for engine in ENGINES:
        colds, worst = _cold_pages(engine)
        if worst is None:
            lines.append(
                f"| every public page, cold, scale {LOAD_SCALE:g}, {engine} | < {TARGET_COLD_MS} ms | not run | - |"
            )
            continue
        over = ", ".join(f"`{name}` {ms:,.0f} ms" for name, ms in colds if ms >= TARGET_COLD_MS) or "none"
        median = sorted(ms for _, ms in colds)[len(colds) // 2]
        lines.append(
            f"| every public page, cold, scale {LOAD_SCALE:g}, {engine} | < {TARGET_COLD_MS} ms each "
            f"| {len(colds)} pages, slowest {worst:,.0f} ms, median {median:,.0f} ms; over: {over} "
            f"| {_ok(worst < TARGET_COLD_MS)} |"
        )
    for engine in ENGINES:
        data = _read("load", engine, LOAD_SCALE)
        if data is None:
            lines.append(
                f"| full load mix, {engine} | 0 errors, p99 < {MAX_P99_MS:g} ms, >= half the floor | not run | - |"
            )
            continue
        mix, floor = data["mix"], data["floor"]
        share = mix["requests_per_second"] / floor["requests_per_second"] if floor["requests_per_second"] else 0
        met = mix["errors"] == 0 and (mix["p99_ms"] or 1e9) < MAX_P99_MS and share >= MIN_RPS_SHARE
        lines.append(
            f"| full load mix (prepared exports), {data['connections']} connections, {data['duration_s']} s, {engine} "
            f"| 0 errors, p99 < {MAX_P99_MS:g} ms, >= {MIN_RPS_SHARE:.0%} of the floor's req/s "
            f"| {mix['errors']:,} errors, p99 {mix['p99_ms']:,.0f} ms, {mix['requests_per_second']:,.0f} req/s = "
            f"{share:.0%} of the floor | {_ok(met)} |"
        )
    return [*lines, "", *(f"- {note}" for note in TARGET_NOTES), ""]


def section_peers() -> list[str]:
    lines = ["## 5. Beside the peers (COPY of the table, Datasette)", ""]
    peers = _read("peers", "postgres", LOAD_SCALE)
    if peers is None:
        return [*lines, "Not run yet: `python -m bench.run peers`.", ""]
    lines += [
        f"`bench/peers.py`, {_when(peers)}. Portal: `{peers['portal_server']}` on PostgreSQL; COPY: psycopg2 "
        f"`copy_expert` into a counting sink; Datasette ({peers['datasette']}, its own virtualenv under bench/out/) "
        "on the SQLite benchmark database (same generator and seed, so the same rows), `--immutable`. Medians of "
        "the repetitions; peak RSS is the serving process's VmHWM, reset before each request.",
        "",
        "| what | rows | runs | seconds | rows/s | first byte | peak RSS | bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "copy_table": "`COPY pilots_pilotupdate TO STDOUT CSV` (the table, no joins)",
        "portal_whole_first": "portal `pilot-updates.csv`, first request after a change (COPY, built while streamed)",
        "portal_whole_prepared": "portal `pilot-updates.csv`, prepared file",
        "portal_year": f"portal `pilot-updates.csv?year={peers['year']}` (live, COPY)",
        "datasette_year": f"Datasette `pilots_pilotupdate.csv?_stream=on`, published, {peers['year']}",
        "datasette_whole": "Datasette `pilots_pilotupdate.csv?_stream=on`, the whole table",
    }
    for key, label in labels.items():
        s = peers["summary"][key]
        first = f"{s['first_byte_seconds'] * 1000:,.0f} ms" if s.get("first_byte_seconds") is not None else "-"
        peak = f"{s['peak_rss_mb']:.0f} MB" if s.get("peak_rss_mb") else "-"
        lines.append(
            f"| {label} | {s['rows']:,} | {s['runs']} | {s['seconds']:.2f} | {s['rows_per_second']:,.0f} | {first} "
            f"| {peak} | {s['bytes'] or 0:,} |"
        )
    return [*lines, ""]


SECTIONS: list[Callable[[], list[str]]] = [
    section_targets,
    section_data,
    section_pages,
    section_queries,
    section_exports,
    section_load,
    section_peers,
]


# Sections that other scripts write into RESULTS.md (deploy/drills.py, deploy/bench_cluster.py): kept as they are.
KEPT_HEADINGS = ("## Fault drills", "## Cluster throughput and replica lag")


def kept_sections() -> list[str]:
    if not RESULTS.exists():
        return []
    kept: list[str] = []
    for block in re.split(r"(?m)^(?=## )", RESULTS.read_text()):
        if block.startswith(KEPT_HEADINGS):
            kept += ["", *block.rstrip().splitlines()]
    return kept


def write_report(machine: dict[str, str]) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Written {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} by `python -m bench.run report` "
        "from the JSON in `bench/out/` (each section gives the time of its own run).",
        "",
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in machine.items()),
        "",
        "## How to reproduce",
        "",
        "```sh",
        "apt-get install -y wrk            # the load generator, from Debian's packages",
        "make bench                        # = .venv/bin/python -m bench.run all",
        "# or step by step:",
        *(
            f".venv/bin/python -m bench.run {step} --engine {engine} --scale {scale_label(scale)}"
            for engine in ENGINES
            for scale in SCALES
            for step in ("prepare", "pages")
        ),
        f".venv/bin/python -m bench.run export --engine postgres --scale {LOAD_SCALE}",
        f".venv/bin/python -m bench.run fresh --scale {LOAD_SCALE}   # reloads the data, then the first downloads",
        f".venv/bin/python -m bench.run peers --scale {LOAD_SCALE}   # needs both engines prepared at {LOAD_SCALE}",
        *(
            f".venv/bin/python -m bench.run load --engine {engine} --scale {LOAD_SCALE} --mix {mix}"
            for engine in ENGINES
            for mix in ("all", "pages")
        ),
        ".venv/bin/python -m bench.run report",
        "```",
        "",
        "PostgreSQL: `postgres@127.0.0.1:5432` (override with `BENCH_PG_SERVER`), databases `portal_bench` "
        "(scale 100) and `portal_bench_scale1` (another name with `BENCH_PG_DATABASE`), created if missing. "
        "SQLite: `bench/out/bench.sqlite3` (scale 100) "
        "and `bench/out/bench-scale1.sqlite3`. Settings: `bench.settings` (the production settings, plain HTTP, "
        "the floor view's URL added).",
        "",
    ]
    for section in SECTIONS:
        lines += section()
    lines += kept_sections()
    RESULTS.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


__all__ = ["OUT", "write_report"]
