"""Hostile input never makes the portal fail: Hypothesis sends arbitrary path segments and query strings to
every public URL pattern (pages, search, feeds, exports, sitemap), and arbitrary query strings, object ids
and form values to the admin's list, change, history and action routes of every model (signed in as a
borough officer and as a portal editor, GET and POST with a valid CSRF token). No response is a server
error, and no typed markup (``<script>...``-like payloads, each with a token of its own) ever comes back
unescaped in an HTML page. The run prints how many requests it made, per status code, in the "portal
checks" summary; it makes more than 10,000 and is marked ``slow``.

The URL patterns come from Django's resolver (everything but the admin), so a new page is covered as soon
as it is routed. Path parameters are sometimes real (a shipped slug, an ICS code in either case), sometimes
well-formed but unknown, sometimes any text at all, percent-encoded; query strings mix the parameters the
pages read with arbitrary keys, repeated keys, NUL bytes, odd Unicode, invalid UTF-8, malformed percent
escapes, huge numbers and very long values. The Django test client re-raises any exception a view lets
escape, so an unhandled error fails the test as surely as a 500 does.

Every run draws new examples (no ``derandomize``); a failure prints the request that caused it, and
Hypothesis shrinks it first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from urllib.parse import quote, quote_from_bytes, unquote, urlencode

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from datasets.definitions import DATASETS
from officers.models import EDITORS_GROUP
from officers.services import create_officer
from pilots.models import Pilot
from sources.models import Source
from tests.browser.reporting import report
from tests.factories import UserFactory
from tests.officers.conftest import change_form_data
from tests.two_factor import signed_in_client

# 27 public patterns x 100 + 15 admin models x 5 routes x 2 users x 50: 10,200 requests (about 4 minutes
# on PostgreSQL on a loaded 2-core machine; 1.5 minutes of CPU).
PUBLIC_EXAMPLES_PER_PATTERN = 100
ADMIN_EXAMPLES_PER_ROUTE = 50

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


# Markup a page would run if it echoed it: each payload carries its own token, so that finding it in a
# page means it was reflected, not that the page happens to contain "<script>".
MARKUP = [
    "<script>alert('{}')</script>",
    '"><img src=x onerror=alert("{}")>',
    "'><svg onload=alert('{}')>",
    "</textarea><b id={}>",
    "javascript:alert('{}')//<a>",
]
markup_payloads = st.builds(
    lambda template, token: template.format(token),
    st.sampled_from(MARKUP),
    st.from_regex(r"hx[a-z0-9]{8}", fullmatch=True),
)

hostile_text = st.one_of(
    st.text(max_size=40),  # any Unicode but surrogates, NUL and control characters included
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Mn", "So"]), max_size=20),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["nan", "inf", "-1", "0", "1e309", "0x10", "9" * 400, "2015-13-45", "../../etc/passwd"]),
    st.builds(lambda char, count: char * count, st.characters(codec="utf-8"), st.integers(500, 5000)),
    markup_payloads,
)
segment_text = st.one_of(
    hostile_text.map(percent),
    st.binary(min_size=1, max_size=20).map(lambda b: quote_from_bytes(b, safe="")),  # often invalid UTF-8
    st.sampled_from(["%", "%zz", "%00", "..", ".", "%2e%2e", "%2F", "~", "a%c0%afb"]),
)


@st.composite
def query_strings(draw, real: list[str], keys: list[str] = KNOWN_KEYS) -> str:
    pairs = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.one_of(st.sampled_from(keys), hostile_text))
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
                "page=9223372036854775807",
                "year=0",
                "year=10000",
                "limit=-5",
                "limit=1000000000",
                "cursor=%00",
                "cursor=WyJcdTAwMDAiLCAxXQ",
                "as_of=9999-99-99",
                "q=" + "%F0%9F%92%A9" * 300,
            ]
        )
    )
    if raw:
        pairs.insert(draw(st.integers(0, len(pairs))), raw)
    return "&".join(pairs)


# --- Counting and checking every answer ------------------------------------------------------------

_statuses: Counter[int] = Counter()
_patterns: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def hostile_summary(request):
    yield
    if _statuses:
        by_status = ", ".join(f"{status}: {count}" for status, count in sorted(_statuses.items()))
        report(
            request.config,
            f"hypothesis: {_statuses.total()} hostile requests to {len(_patterns)} URL patterns and admin routes "
            f"(by status {by_status}), {sum(n for status, n in _statuses.items() if status >= 500)} server errors",
        )


def payloads_in(text: str) -> list[str]:
    """The markup payloads in what was sent (decoded from the URL or form data as the server reads it)."""
    return [match.group(0) for template in MARKUP for match in _payload_pattern(template).finditer(text)]


def _payload_pattern(template: str) -> re.Pattern:
    return re.compile(re.escape(template).replace(re.escape("{}"), "hx[a-z0-9]{8}"))


def check(route: str, send: Callable[[], HttpResponse], sent: str) -> None:
    """Send one request; fail on a server error or on sent markup echoed unescaped in an HTML page."""
    _patterns.add(route)
    try:
        response = send()
    except Exception:
        _statuses[500] += 1
        raise
    _statuses[response.status_code] += 1
    assert response.status_code < 500, f"{route}: {sent[:300]} -> {response.status_code}"
    if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
        page = response.content.decode("utf-8", "replace")
        for payload in payloads_in(unquote(sent)):
            assert payload not in page, f"{route}: {payload!r} reflected unescaped for {sent[:300]}"


HYPOTHESIS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


# --- The public site -----------------------------------------------------------------------------


def test_every_public_url_pattern_is_covered():
    names = {name for name, _ in ROUTES}
    for expected in ("portal:home", "portal:search", "pilots:list", "pilots:feed", "boroughs:ics_detail"):
        assert expected in names
    assert not any(template.startswith(settings.ADMIN_PATH) for _, template in ROUTES)


@pytest.mark.slow
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

    @hypothesis_settings(max_examples=PUBLIC_EXAMPLES_PER_PATTERN, **HYPOTHESIS)
    @given(values=path_values, query=query_strings(all_real))
    def send(values: dict[str, str], query: str) -> None:
        path = "/" + HOLE.sub(lambda m: values[m.group(1)], template)
        check(name, lambda: client.get(path, QUERY_STRING=query), f"GET {path}?{query}")

    try:
        send()
    finally:
        cache.clear()


# --- The admin -----------------------------------------------------------------------------------

ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
ADMIN_ROUTES = ["list", "change", "history", "save", "action"]
# What the admin's list reads besides its filters: search, ordering, paging, the popup and
# preserved-filter parameters.
ADMIN_KEYS = ["q", "o", "p", "all", "_popup", "_to_field", "_changelist_filters", "e", "publication_status__exact"]


def admin_user(role: str):
    if role == "editor":
        user = UserFactory(username="hostile-editor", is_staff=True)
        user.groups.add(Group.objects.get(name=EDITORS_GROUP))
        return user
    return create_officer(
        username="hostile-officer",
        email="hostile-officer@hackney.example",
        authorities=[LocalAuthority.objects.get(slug="hackney")],
        password="a-long-test-password-123",
    )


def signed_in(user) -> tuple[Client, str]:
    """A client signed in with both factors that checks CSRF like a browser's server would, and the token
    its forms carry."""
    client = signed_in_client(user, enforce_csrf_checks=True)
    client.get(reverse("admin:index"))
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def object_ids(model) -> list[str]:
    return [str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:20]]


def _form_fields(model, user) -> tuple[list[str], dict]:
    """The change form's field names for ``user`` and what it would post unchanged, for one record."""
    obj = model._default_manager.order_by("pk").first()
    if obj is None:
        return [], {}
    data = change_form_data(user, obj)
    return sorted(data), data


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("role", ["officer", "editor"])
@pytest.mark.parametrize("route", ADMIN_ROUTES)
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=[model._meta.label for model in ADMIN_MODELS])
def test_hostile_input_to_the_admin_never_causes_a_server_error(model, route, role, settings):
    user = admin_user(role)
    client, token = signed_in(user)
    opts = model._meta
    base = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    ids = object_ids(model)
    object_id = st.one_of(st.sampled_from(ids) if ids else st.just("1"), segment_text)
    actions = list(admin.site._registry[model].get_actions(_request_for(user)))
    fields, unchanged = _form_fields(model, user) if route == "save" else ([], {})
    label = f"admin {opts.label} {route} ({role})"

    if route == "list":
        strategy = query_strings(ids, ADMIN_KEYS + [field.name for field in opts.fields])

        def send(query):
            check(label, lambda: client.get(base, QUERY_STRING=query), f"GET {base}?{query}")

    elif route in ("change", "history"):
        strategy = st.tuples(object_id, query_strings(ids, ADMIN_KEYS))

        def send(drawn):
            segment, query = drawn
            path = f"{base}{segment}/{route}/"
            check(label, lambda: client.get(path, QUERY_STRING=query), f"GET {path}?{query}")

    elif route == "save":
        strategy = st.tuples(
            object_id,
            st.dictionaries(st.sampled_from(fields) if fields else hostile_text, hostile_text, max_size=6),
        )

        def send(drawn):
            segment, changes = drawn
            path = f"{base}{segment}/change/"
            data = {**unchanged, **changes, "csrfmiddlewaretoken": token}
            check(label, lambda: client.post(path, data), f"POST {path} {urlencode(changes)}")

    else:
        strategy = st.fixed_dictionaries(
            {
                "action": st.one_of(st.sampled_from(actions or ["delete_selected"]), hostile_text),
                ACTION_CHECKBOX_NAME: st.lists(st.one_of(st.sampled_from(ids or ["1"]), hostile_text), max_size=4),
                "index": st.sampled_from(["0", "1", "-1", "x"]),
                "select_across": st.sampled_from(["0", "1", "yes"]),
            }
        )

        def send(form):
            data = {**form, "csrfmiddlewaretoken": token}
            check(label, lambda: client.post(base, data), f"POST {base} {urlencode(form, doseq=True)}")

    @hypothesis_settings(max_examples=ADMIN_EXAMPLES_PER_ROUTE, **HYPOTHESIS)
    @given(strategy)
    def run(drawn):
        send(drawn)

    run()


def _request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request
