"""Hostile input never makes the portal fail: Hypothesis sends arbitrary path segments and query strings to
every public URL pattern (pages, search, feeds, exports, sitemap) and no response is a server error.

The URL patterns come from Django's resolver (everything but the admin), so a new page is covered as soon
as it is routed. Path parameters are sometimes real (a shipped slug, an ICS code in either case), sometimes
well-formed but unknown, sometimes any text at all, percent-encoded; query strings mix the parameters the
pages read with arbitrary keys, repeated keys, NUL bytes, odd Unicode, invalid UTF-8, malformed percent
escapes, huge numbers and very long values. The Django test client re-raises any exception a view lets
escape, so an unhandled error fails the test as surely as a 500 does.

Reproducible: ``derandomize=True`` gives the same examples on every run.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_from_bytes

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from datasets.definitions import DATASETS
from pilots.models import Pilot
from sources.models import Source
from tests.browser.reporting import report

EXAMPLES_PER_PATTERN = 30

# The query parameters the public pages and exports read (filters, search, paging, exports).
KNOWN_KEYS = [
    "q",
    "page",
    "sort",
    "theme",
    "status",
    "status_after",
    "ics",
    "borough",
    "pilot",
    "year",
    "kind",
    "unit",
    "source",
    "as_of",
    "cursor",
    "limit",
    "bom",
    "p",
    "format",
]


def public_routes() -> list[tuple[str, str]]:
    """(name, template) for every routed URL but the admin's; the template has ``{param:kind}`` holes."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            route = _template(entry.pattern)
            if isinstance(entry, URLResolver):
                if entry.app_name == "admin" or (prefix + route).startswith(settings.ADMIN_PATH):
                    continue
                walk(entry.url_patterns, prefix + route, entry.namespace or namespace)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else (entry.name or prefix + route)
                found.append((name, prefix + route))

    walk(get_resolver().url_patterns, "", "")
    return found


def _template(pattern) -> str:
    """A route or regex as a path with ``{name:kind}`` holes, e.g. ``pilots/{slug:slug}/``."""
    text = str(pattern)
    if isinstance(pattern, RoutePattern):  # path(): <slug:slug>, <name>
        return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "{" + m.group(2) + ":" + (m.group(1) or "str") + "}", text)
    text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "{" + m.group(1) + ":regex}", text)


ROUTES = public_routes()
HOLE = re.compile(r"\{(\w+):(\w+)\}")


def real_values(template: str, name: str) -> list[str]:
    """Values that exist, for the hole ``name`` of ``template``."""
    if name == "code":
        codes = list(IntegratedCareSystem.objects.values_list("code", flat=True))
        return [c.lower() for c in codes] + codes
    if name == "dataset":
        return list(DATASETS)
    model = {
        "pilots/": Pilot,
        "boroughs/": LocalAuthority,
        "places/": PlacePartnership,
        "sources/": Source,
    }.get(template.split("/")[0] + "/")
    return list(model.objects.values_list("slug", flat=True)) if model else []


def percent(text: str) -> str:
    return quote(text, safe="")


hostile_text = st.one_of(
    st.text(max_size=40),  # any Unicode but surrogates, NUL and control characters included
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Mn", "So"]), max_size=20),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["nan", "inf", "-1", "0", "1e309", "0x10", "9" * 400, "2015-13-45", "../../etc/passwd"]),
    st.builds(lambda char, count: char * count, st.characters(codec="utf-8"), st.integers(500, 5000)),
)
segment_text = st.one_of(
    hostile_text.map(percent),
    st.binary(min_size=1, max_size=20).map(lambda b: quote_from_bytes(b, safe="")),  # often invalid UTF-8
    st.sampled_from(["%", "%zz", "%00", "..", ".", "%2e%2e", "%2F", "~", "a%c0%afb"]),
)


@st.composite
def query_strings(draw, real: list[str]) -> str:
    pairs = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.one_of(st.sampled_from(KNOWN_KEYS), hostile_text))
        value = draw(st.one_of(hostile_text, st.sampled_from(real or ["nel"])))
        pairs.append(f"{percent(key)}={percent(value)}")
        if draw(st.booleans()) and pairs:  # repeated keys
            pairs.append(f"{percent(key)}={percent(draw(hostile_text))}")
    raw = draw(
        st.sampled_from(
            [
                "",
                "%",
                "%zz",
                "a=%ff%fe",
                "=&=&",
                ";;",
                "&&&",
                "page=-1",
                "page=0",
                "page=99999999999999999999999",
                "year=0",
                "year=10000",
                "limit=-5",
                "limit=1000000000",
                "cursor=%00",
                "as_of=9999-99-99",
                "q=" + "%F0%9F%92%A9" * 300,
            ]
        )
    )
    if raw:
        pairs.insert(draw(st.integers(0, len(pairs))), raw)
    return "&".join(pairs)


_counts = {"requests": 0, "patterns": 0, "server_errors": 0}


@pytest.fixture(scope="module", autouse=True)
def hostile_summary(request):
    yield
    if _counts["requests"]:
        report(
            request.config,
            f"hypothesis: {_counts['requests']} hostile requests to {_counts['patterns']} URL patterns "
            f"(of {len(ROUTES)} public), {_counts['server_errors']} server errors",
        )


def test_every_public_url_pattern_is_covered():
    names = {name for name, _ in ROUTES}
    for expected in ("portal:home", "portal:search", "pilots:list", "pilots:feed", "boroughs:ics_detail"):
        assert expected in names
    assert not any(template.startswith(settings.ADMIN_PATH) for _, template in ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "template"), ROUTES, ids=[name for name, _ in ROUTES])
def test_hostile_input_never_causes_a_server_error(name, template, settings):
    settings.EXPORT_RATE_LIMIT = 0  # exercise the exports themselves, not only their rate limit
    client = Client()
    holes = HOLE.findall(template)
    real = {hole: real_values(template, hole) for hole, _ in holes}
    all_real = [value for values in real.values() for value in values]

    def well_formed(kind: str):
        if kind == "regex":
            return st.from_regex(r"[A-Za-z]{3}", fullmatch=True)
        if kind == "int":
            return st.integers(0, 10**30).map(str)
        return st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True)

    path_values = st.fixed_dictionaries(
        {
            hole: st.one_of(
                st.sampled_from(real[hole]) if real[hole] else well_formed(kind),
                well_formed(kind),
                segment_text,
            )
            for hole, kind in holes
        }
    )

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_PATTERN,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values=path_values, query=query_strings(all_real))
    def check(values: dict[str, str], query: str) -> None:
        path = "/" + HOLE.sub(lambda m: values[m.group(1)], template)
        _counts["requests"] += 1
        try:
            response = client.get(path, QUERY_STRING=query)
        except Exception:
            _counts["server_errors"] += 1
            raise
        if response.status_code >= 500:
            _counts["server_errors"] += 1
        assert response.status_code < 500, f"GET {path}?{query[:300]} -> {response.status_code}"

    try:
        check()
    finally:
        cache.clear()
    _counts["patterns"] += 1
