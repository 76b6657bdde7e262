"""Lighthouse (npm ``lighthouse``, pinned in package-lock.json) in Debian's Chromium, mobile form factor, on
the home page, the pilots list, a pilot's page and a borough's page: 100 in performance, accessibility,
best practices and SEO, and no layout shift. The scores and CLS go to the "portal checks" summary.

Measured against a production-like server of its own, as ``make serve`` runs it: gunicorn with the
production settings, static files collected, compressed and served by WhiteNoise, over plain HTTP on
127.0.0.1, with the shipped data in a throwaway SQLite file (what Lighthouse measures is the front end;
the database is not in question). The server is bounded in time and stopped at the end. A page whose
first run falls short of 100 in performance is run twice more and judged by the median run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.reporting import report

pytestmark = pytest.mark.browser

LIGHTHOUSE = Path(settings.BASE_DIR) / "node_modules" / "lighthouse" / "cli" / "index.js"
PAGES = {
    "home": "/",
    "pilots list": "/pilots/",
    "pilot page": "/pilots/hackney-health-and-social-care-integration/",
    "borough page": "/boroughs/hackney/",
}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SERVER_SECONDS = 600
RUNTIME_ERROR_ATTEMPTS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def production_server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("lighthouse")
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="devolution_portal.settings.production",
        SECURE_TRANSPORT="false",
        SECRET_KEY="lighthouse-test-only-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{folder / 'portal.sqlite3'}",
        STATIC_ROOT=str(folder / "static"),
    )
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    for command in (["migrate", "--noinput", "-v0"], ["load_portal_data"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([*manage, *command], env=env, check=True, capture_output=True, timeout=300)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            *("timeout", str(SERVER_SECONDS), str(gunicorn), "devolution_portal.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--max-requests", "2000"),
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/robots.txt", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def lighthouse(url: str) -> dict:
    """One Lighthouse run. A run that Lighthouse itself reports as broken ("Runtime error encountered",
    such as NO_NAVSTART when Chromium's trace missed the navigation) says nothing about the page, and
    Lighthouse's own message asks for another run: up to RUNTIME_ERROR_ATTEMPTS are made. Any other
    failure, or the same runtime error every time, fails the test."""
    if not LIGHTHOUSE.exists():
        pytest.fail(f"{LIGHTHOUSE} is missing: run `npm ci` (lighthouse is a devDependency in package.json).")
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    for _ in range(RUNTIME_ERROR_ATTEMPTS):
        result = subprocess.run(
            [
                *("node", str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet"),
                *(f"--chrome-flags={flags}", f"--only-categories={','.join(CATEGORIES)}"),
            ],
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            capture_output=True,
            text=True,
            timeout=240,
        )
        if not result.returncode:
            return json.loads(result.stdout)
        if "Runtime error encountered" not in result.stderr:
            break
    pytest.fail(f"lighthouse failed on {url}: {result.stderr[-2000:]}")


def median_run(url: str) -> dict:
    """One run, or, if its performance is short of 100, the median of three: Lighthouse's own advice for
    its run-to-run variance (a 2-core machine shared with other work makes timings noisy)."""
    first = lighthouse(url)
    if first["categories"]["performance"]["score"] == 1:
        return first
    runs = sorted([first, lighthouse(url), lighthouse(url)], key=lambda run: run["categories"]["performance"]["score"])
    return runs[1]


def test_lighthouse_mobile_scores_are_100_with_no_layout_shift(production_server, request):
    lines, problems = [], []
    for name, path in PAGES.items():
        result = median_run(production_server + path)
        scores = {key: round(result["categories"][key]["score"] * 100) for key in CATEGORIES}
        cls = result["audits"]["cumulative-layout-shift"]["numericValue"]
        lines.append(f"{name} {'/'.join(str(scores[key]) for key in CATEGORIES)} CLS {cls:.3f}")
        problems += [f"{name}: {key} {score}" for key, score in scores.items() if score < 100]
        if cls > 0:
            problems.append(f"{name}: layout shift {cls:.3f}")
    report(
        request.config,
        f"lighthouse {result['lighthouseVersion']} mobile (performance/accessibility/best practices/SEO): "
        + "; ".join(lines),
    )
    assert not problems, "\n".join(problems)
