"""Fault drills against `make cluster` (make drills): break one part at a time under steady load and
count what visitors and officers would have seen.

    .venv/bin/python deploy/drills.py [--seconds 8] [--threads 3]

Starts the cluster if it is not running (and stops it again at the end if it started it). A few threads
GET a mix of public pages and exports through nginx (each URL made unique, so that the whole-page cache
never hides the database); each drill runs for a bounded time and number of requests, then reports the
requests made, the status counts and the longest gap between two successful answers. It stops and
starts only the cluster's own processes, by the pids in run/cluster/ (the machine's shared PostgreSQL
and Redis are never touched). Results are printed and written to bench/RESULTS.md under "Fault drills".
Exits 1 if a drill that must have no failed request had one.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import html.parser
import http.cookiejar
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from background import BackgroundThreads

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "run" / "cluster"
CLUSTER = ["bash", str(ROOT / "deploy" / "cluster.sh")]
BASE = f"http://127.0.0.1:{os.environ.get('CLUSTER_NGINX_PORT', '8080')}"
RESULTS = ROOT / "bench" / "RESULTS.md"
MAX_REQUESTS = 4000  # per drill, whatever its length
PAGES = [
    "/",
    "/pilots/",
    "/boroughs/",
    "/boroughs/hackney/",
    "/sources/",
    "/data/",
    "/timeline/",
    "/pilots/hackney-health-and-social-care-integration/",
]
EXPORTS = ["/data/boroughs.csv", "/data/pilots.csv", "/data/pilot-updates.csv"]
EDITOR = ("drill-editor", "drill-editor-Password-0192")


def cluster(*args: str) -> None:
    subprocess.run([*CLUSTER, *args], check=True, cwd=ROOT)


def pid_of(name: str) -> int:
    return int((RUN / f"{name}.pid").read_text().split()[0])


# ---------------------------------------------------------------- steady load


class Load(BackgroundThreads):
    """Threads doing GETs until stopped or MAX_REQUESTS; each result is (start, end, status, path)."""

    join_seconds = 35.0

    def __init__(self, threads: int, paths: list[str]) -> None:
        super().__init__(*[self.run] * threads)
        self.results: list[tuple[float, float, object, str]] = []
        self.counter = itertools.count()
        self.paths = paths

    def run(self) -> None:
        while not self.stop.is_set():
            n = next(self.counter)
            if n >= MAX_REQUESTS:
                return
            path = self.paths[n % len(self.paths)]
            url = f"{BASE}{path}{'&' if '?' in path else '?'}drill={n}"
            start = time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    body = response.read()
                    status: object = response.status
                    if b"#EXPORT INCOMPLETE" in body[-300:]:
                        status = "incomplete"
            except urllib.error.HTTPError as error:
                status = error.code
                if error.code == 503 and not error.headers.get("Retry-After"):
                    status = "503 without Retry-After"
                error.read()
            except Exception as error:  # a refused or cut connection: the visitor saw an error
                status = type(error).__name__
            self.results.append((start, time.monotonic(), status, path))


FAULTS: list[tuple[float, float]] = []  # (start, end) of each stop in the current drill


def stop_part(part: str) -> None:
    """Stop a part of the cluster, noting when, so that requests caught in flight can be told apart."""
    start = time.monotonic()
    cluster(f"stop-{part}")
    FAULTS.append((start, time.monotonic()))


def summarise(name: str, load: Load, began: float, ended: float, must_not_fail: bool, notes: list[str]) -> dict:
    results = sorted(load.results, key=lambda r: r[1])
    counts = collections.Counter(str(r[2]) for r in results)
    ok_times = [began] + [end for _, end, status, _ in results if status == 200] + [ended]
    gap = max(b - a for a, b in itertools.pairwise(ok_times))
    failures = [(start, end) for start, end, status, _ in results if status != 200]
    # A download streaming from a server at the moment it is killed is cut (and marked or seen as
    # incomplete): that one is counted apart; every request that started after the stop must succeed.
    in_flight = sum(1 for start, end in failures if any(start < f_end and end > f_start for f_start, f_end in FAULTS))
    failed = len(failures) - in_flight
    passed = failed == 0 if must_not_fail else True
    return {
        "drill": name,
        "requests": len(results),
        "statuses": dict(sorted(counts.items())),
        "failed": failed,
        "cut_in_flight": in_flight,
        "longest_gap_s": round(gap, 2),
        "median_ms": round(1000 * sorted(end - start for start, end, _, _ in results)[len(results) // 2], 1)
        if results
        else None,
        "must_not_fail": must_not_fail,
        "passed": passed and all(not n.startswith("FAILED") for n in notes),
        "notes": notes,
    }


# ---------------------------------------------------------------- a browser for the admin


class FormParser(html.parser.HTMLParser):
    """The fields of the form with method=post (and id ``form_id``, if given): what a browser would send."""

    def __init__(self, form_id: str | None = None) -> None:
        super().__init__()
        self.form_id = form_id
        self.fields: list[tuple[str, str]] = []
        self.in_form = self.done = False
        self.textarea: str | None = None
        self.select: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.done:
            return
        if tag == "form" and a.get("method", "").lower() == "post" and self.form_id in (None, a.get("id")):
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button", "file", "image"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, "".join(self.text).removeprefix("\n")))
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 after a save is the answer itself


class Browser:
    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies)
        self.no_redirects = urllib.request.build_opener(cookies, NoRedirect)

    def open(self, path: str, fields=None, follow: bool = True) -> tuple[int, str, dict]:
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(BASE + path, data=data, headers={"Referer": BASE + path})
        opener = self.opener if follow else self.no_redirects
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def form(self, path: str, form_id: str | None = None) -> list[tuple[str, str]]:
        _, page, _ = self.open(path)
        parser = FormParser(form_id)
        parser.feed(page)
        return parser.fields

    def sign_in(self, username: str, password: str) -> int:
        fields = [(k, v) for k, v in self.form("/admin/login/") if k == "csrfmiddlewaretoken"]
        status, _, _ = self.open(
            "/admin/login/?next=/admin/", [*fields, ("username", username), ("password", password)]
        )
        return status


def manage(code: str) -> str:
    """Run Django code with the cluster's settings (the same environment as its app servers)."""
    done = subprocess.run(
        [*CLUSTER, "manage", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout.strip()


# ---------------------------------------------------------------- the drills


def run_drill(name, threads, seconds, paths, action, must_not_fail=True):
    """Load for a third of ``seconds``, then ``action()`` (which returns notes), then load until ``seconds``."""
    print(f"== {name}", flush=True)
    notes: list[str] = []
    FAULTS.clear()
    with Load(threads, paths) as load:
        began = time.monotonic()
        time.sleep(seconds / 3)
        notes = action() or []
        remaining = seconds - (time.monotonic() - began)
        if remaining > 0:
            time.sleep(remaining)
        ended = time.monotonic()
    result = summarise(name, load, began, ended, must_not_fail, notes)
    print(json.dumps(result), flush=True)
    return result


def drill_app_server(threads, seconds):
    def action():
        pid = pid_of("app-8101")
        start = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        FAULTS.append((start, time.monotonic() + 1.5))  # its workers notice within a second and leave
        time.sleep(seconds / 3)
        # Workers of a killed master notice and leave; then the server is started again.
        cluster("start-app-8101")
        return [f"SIGKILL to app server :8101 (master pid {pid}), restarted after {seconds / 3:.0f} s"]

    return run_drill("kill one app server", threads, seconds, PAGES + EXPORTS, action)


def drill_redis(threads, seconds):
    user = f"drill-axes-{int(time.time())}"
    password = "drill-axes-Password-4471"
    manage(f"from django.contrib.auth.models import User; User.objects.create_user({user!r}, password={password!r})")

    def action():
        pid = pid_of("redis")
        stop_part("redis")
        time.sleep(1)
        browser = Browser()
        refused = [browser.sign_in(user, "wrong-password-" + str(i)) for i in range(5)]
        right = Browser().sign_in(user, password)
        notes = [f"stopped the cluster's Redis :6380 (pid {pid}); bad sign-ins answered {refused}"]
        notes.append(
            ("" if right == 429 else "FAILED: ") + f"then the right password answered {right} (429 = still locked out)"
        )
        time.sleep(seconds / 3)
        cluster("start-redis")
        return notes

    result = run_drill("stop Redis", threads, seconds, PAGES + EXPORTS, action)
    manage(f"from axes.utils import reset; reset(username={user!r})")
    return result


def drill_replica(threads, seconds):
    def action():
        pid = pid_of("replica")
        stop_part("replica")
        time.sleep(seconds / 3)
        cluster("start-replica")
        return [f"fast shutdown of the replica :5435 (pid {pid}), started again after {seconds / 3:.0f} s"]

    return run_drill("stop the replica", threads, seconds, PAGES + EXPORTS, action)


def typed_form(browser: Browser, path: str, description: str) -> list[tuple[str, str]]:
    """The change form as the officer filled it in: every field as shown, the description retyped."""
    fields = browser.form(path, "localauthority_form")
    assert any(k == "description" for k, _ in fields), "no description field on the change form"
    return [*((k, description if k == "description" else v) for k, v in fields), ("_save", "Save")]


def drill_primary(threads, seconds):
    """The primary stopped: anonymous pages keep coming from the replica; an officer (session cookie,
    primary only) and the admin get the 503 page with Retry-After; an officer's save racing the stop is
    saved whole or refused with the typed values kept; with the replica stopped too, every page is a 503
    with Retry-After; when both are back, service returns with no restart of the app servers."""
    manage(
        "from django.contrib.auth.models import User\n"
        f"u, _ = User.objects.get_or_create(username={EDITOR[0]!r})\n"
        f"u.is_staff = u.is_superuser = True; u.set_password({EDITOR[1]!r}); u.save()"
    )
    la_id = int(
        manage("from boroughs.models import LocalAuthority; print(LocalAuthority.objects.get(slug='hackney').pk)")
    )
    path = f"/admin/boroughs/localauthority/{la_id}/change/"
    before = manage(f"from boroughs.models import LocalAuthority as L; print(L.objects.get(pk={la_id}).version)")
    editor = Browser()
    assert editor.sign_in(*EDITOR) in (200, 302), "editor could not sign in"
    marker = f"Drill save {datetime.datetime.now().isoformat(timespec='seconds')}: the description as typed."

    def action():
        notes = []
        pid = pid_of("primary")
        racing: dict = {}
        typed = typed_form(editor, path, marker)  # opened while all was well; saved as the primary stops
        race = threading.Thread(target=lambda: racing.update(result=editor.open(path, typed, follow=False)[:2]))
        race.start()
        stop_part("primary")
        race.join(30)
        status, page = racing.get("result", (0, ""))
        kept = marker in page.replace("&#x27;", "'")
        if status == 302:
            notes.append("the officer's save racing the stop: saved (302 to the list)")
        elif status == 503 and kept:
            notes.append("the officer's save racing the stop: refused with 503, the typed description kept on the page")
        else:
            notes.append(f"FAILED: the officer's save racing the stop answered {status}, typed values kept: {kept}")
        notes.append(f"fast shutdown of the primary :5434 (pid {pid})")
        time.sleep(1)
        status, page, headers = editor.open(path)
        ok = status == 503 and "unavailable for editing" in page and headers.get("Retry-After") == "30"
        notes.append(
            ("" if ok else "FAILED: ") + f"the admin, primary down: {status}, Retry-After {headers.get('Retry-After')}"
        )
        status, page, headers = editor.open("/pilots/?drill=officer")
        ok = status == 503 and headers.get("Retry-After") == "30"
        notes.append(("" if ok else "FAILED: ") + f"a public page for a signed-in officer (primary only): {status}")
        status, _, _ = Browser().open("/pilots/?drill=anonymous")
        notes.append(
            ("" if status == 200 else "FAILED: ") + f"a public page for a visitor (from the replica): {status}"
        )
        stop_part("replica")
        time.sleep(1)
        status, _, headers = Browser().open("/pilots/?drill=both-down")
        ok = status == 503 and headers.get("Retry-After") == "30"
        notes.append(
            ("" if ok else "FAILED: ")
            + f"both databases down, a public page: {status}, Retry-After {headers.get('Retry-After')}"
        )
        time.sleep(max(0.0, seconds / 3 - 3))
        cluster("start-primary")
        cluster("start-replica")
        return notes

    result = run_drill("stop the primary (then the replica too)", threads, seconds, PAGES + EXPORTS, action, False)
    # After recovery: the app servers were never restarted; the record is whole.
    time.sleep(1)
    status, _, _ = editor.open(path)
    after = manage(
        f"from boroughs.models import LocalAuthority as L; r = L.objects.get(pk={la_id}); "
        f"print(r.version, {marker!r} in r.description)"
    )
    version, has_marker = after.split()
    whole = (has_marker == "True" and version != before) or (has_marker == "False" and version == before)
    result["notes"].append(
        ("" if status == 200 else "FAILED: ")
        + f"after restarting PostgreSQL, no app server restarted: the admin answers {status}"
    )
    result["notes"].append(
        ("" if whole else "FAILED: ")
        + f"the record after recovery: version {before} -> {version}, typed description saved: {has_marker} "
        "(whole or not at all)"
    )
    status, _, _ = Browser().open("/pilots/?drill=recovered")
    result["notes"].append(("" if status == 200 else "FAILED: ") + f"public pages after recovery: {status}")
    result["passed"] = all(not n.startswith("FAILED") for n in result["notes"])
    # Service is judged by the notes; failures under load are the expected 503s while both were down.
    print(json.dumps(result), flush=True)
    return result


# ---------------------------------------------------------------- report


def write_results(results: list[dict], seconds: float, threads: int) -> None:
    lines = [
        "## Fault drills",
        "",
        f"`make drills` (deploy/drills.py), {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, "
        "against `make cluster` "
        f"(nginx, 2 app servers, PostgreSQL primary + streaming replica, Redis, all on 127.0.0.1): {threads} threads "
        f"of GETs through nginx over {len(PAGES)} pages and {len(EXPORTS)} CSV exports, each URL unique so that the "
        f"page cache never answers; {seconds:g} s per drill, at most {MAX_REQUESTS} requests. Load average before: "
        f"{os.getloadavg()[0]:.1f}. Longest gap = the longest time without a successful (200) answer.",
        "",
        "| drill | requests | status counts | failed (started after the fault) | cut in flight | longest gap | "
        "median | must have 0 failed | passed |",
        "|---|---:|---|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(
            f"| {r['drill']} | {r['requests']} | {statuses} | {r['failed']} | {r['cut_in_flight']} | "
            f"{r['longest_gap_s']} s | {r['median_ms']} ms | "
            f"{'yes' if r['must_not_fail'] else 'no'} | {'yes' if r['passed'] else '**no**'} |"
        )
    lines.append("")
    for r in results:
        lines.append(f"- **{r['drill']}**: " + "; ".join(r["notes"]) + ".")
    lines.append("")
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = "\n".join(lines)
    match = re.search(r"^## Fault drills\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    text = text[: match.start()] + section + "\n" + text[match.end() :] if match else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=9, help="length of each drill (at most 30)")
    parser.add_argument("--threads", type=int, default=3)
    args = parser.parse_args()
    seconds = min(args.seconds, 30)
    started = subprocess.run([*CLUSTER, "status"], capture_output=True, cwd=ROOT, check=False).returncode != 0
    if started:
        # The drills sign an editor in with a password only: they test faults, not sign-in. Two-factor
        # sign-in, on everywhere else DEBUG is off, is tested by the suite (tests/officers/test_login.py).
        os.environ.setdefault("OTP_REQUIRED", "false")
        cluster("start")
    results = []
    try:
        results.append(drill_app_server(args.threads, seconds))
        results.append(drill_redis(args.threads, seconds))
        results.append(drill_replica(args.threads, seconds))
        results.append(drill_primary(args.threads, seconds))
    finally:
        if started:
            cluster("stop")
    write_results(results, seconds, args.threads)
    failed = [r["drill"] for r in results if not r["passed"]]
    print("drills:", "all passed" if not failed else f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
