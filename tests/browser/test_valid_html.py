"""Every public page type is valid HTML: the Nu HTML Checker (npm ``vnu-jar``) finds zero errors.

The pages are fetched through the whole middleware stack with Django's test client (the bytes a browser
would get), saved to one folder and checked by a single run of vnu (one JVM start for all of them).
Warnings and info messages are not failures; errors are.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.pages import EXPECTED_STATUS, PUBLIC_PAGES, page_path
from tests.browser.reporting import report

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".html"


@pytest.mark.django_db
def test_every_public_page_type_is_valid_html(client, tmp_path, request):
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing (Debian: default-jre-headless); the Nu HTML Checker needs Java 11 or later.")
    if not VNU_JAR.exists():
        pytest.fail(f"{VNU_JAR} is missing: run `npm ci` (vnu-jar is a devDependency in package.json).")

    saved: dict[str, str] = {}
    for name in PUBLIC_PAGES:
        path = page_path(name)
        response = client.get(path)
        assert response.status_code == EXPECTED_STATUS.get(name, 200), f"{name} ({path}): HTTP {response.status_code}"
        assert response["Content-Type"].startswith("text/html"), f"{name} ({path}): {response['Content-Type']}"
        file = tmp_path / _file_name(name)
        file.write_bytes(response.content)
        saved[file.name] = f"{name} ({path})"

    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--stdout", *sorted(str(tmp_path / f) for f in saved)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"vnu gave no JSON report (exit {result.returncode}): {result.stdout[:500]} {result.stderr[:500]}")

    errors = [m for m in messages if m.get("type") in {"error", "non-document-error"}]
    warnings = [m for m in messages if m.get("type") == "info" and m.get("subType") == "warning"]
    report(
        request.config,
        f"vnu: {len(saved)} pages checked in one run, {len(errors)} HTML errors ({len(warnings)} warnings)",
    )
    lines = [
        f"{saved.get(Path(m.get('url', '')).name, m.get('url', '?'))} line {m.get('lastLine', '?')}: "
        f"{m.get('message', '')} — {m.get('extract', '').strip()[:160]!r}"
        for m in errors
    ]
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(lines)
