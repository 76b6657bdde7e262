"""Security headers and cookies on the wire, with the production settings: a public page, an export and the
admin each carry a Content-Security-Policy with no 'unsafe-inline' (inline scripts only by hash), frame-ancestors
'none', HSTS of at least a year, Referrer-Policy, X-Content-Type-Options, Cross-Origin-Opener-Policy and
Permissions-Policy; the CSRF and session cookies are Secure, HttpOnly and SameSite.

"Production settings" here means every setting devolution_portal/settings/production.py itself sets,
applied over the test settings (all but the hashed static-files storage, which needs ``collectstatic``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from devolution_portal.settings import base
from tests.browser.reporting import report
from tests.factories import UserFactory
from tests.two_factor import authenticator, code_now

pytestmark = pytest.mark.django_db

ONE_YEAR = 365 * 24 * 60 * 60
NOT_APPLIED = {"STORAGES", "DATABASES", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
PASSWORD = "a-long-test-password-123"

_checked: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def headers_summary(request):
    yield
    if _checked:
        report(
            request.config,
            "security headers: CSP (no 'unsafe-inline', inline scripts by hash/nonce, frame-ancestors 'none'), "
            "HSTS, Referrer-Policy, nosniff, COOP, Permissions-Policy checked on "
            f"{len(_checked)} responses ({', '.join(_checked)}); "
            f"cookies Secure, HttpOnly, SameSite",
        )


def production_values(monkeypatch) -> dict[str, object]:
    """The settings production.py sets (or changes from base), as a deployment with TLS would have them."""
    monkeypatch.delenv("SECURE_TRANSPORT", raising=False)
    module = importlib.reload(importlib.import_module("devolution_portal.settings.production"))
    missing = object()
    return {
        name: value
        for name, value in vars(module).items()
        if name.isupper() and name not in NOT_APPLIED and getattr(base, name, missing) != value
    }


class HttpsClient(Client):
    """Every request over HTTPS from the TLS-terminating proxy, which says so in X-Forwarded-Proto
    (production's SECURE_PROXY_SSL_HEADER)."""

    def __init__(self, **kwargs):
        super().__init__(headers={"X-Forwarded-Proto": "https"}, **kwargs)

    def generic(self, *args, secure: bool = True, **kwargs):
        return super().generic(*args, secure=secure, **kwargs)


@pytest.fixture
def production(settings, monkeypatch) -> Client:
    """A test client talking HTTPS to the portal configured as in production."""
    for name, value in production_values(monkeypatch).items():
        setattr(settings, name, value)
    settings.EXPORT_RATE_LIMIT = 0
    return HttpsClient()


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response, what: str) -> None:
    assert "Content-Security-Policy" in response, f"{what}: no Content-Security-Policy"
    csp = csp_directives(response["Content-Security-Policy"])
    for directive in ("default-src", "script-src", "style-src"):
        assert directive in csp, f"{what}: CSP has no {directive}"
        assert "'unsafe-inline'" not in csp[directive], f"{what}: CSP {directive} allows 'unsafe-inline'"
        assert "'unsafe-eval'" not in csp[directive], f"{what}: CSP {directive} allows 'unsafe-eval'"
        assert "*" not in csp[directive], f"{what}: CSP {directive} allows any origin"
    assert csp["frame-ancestors"] == ["'none'"], f"{what}: CSP frame-ancestors is {csp.get('frame-ancestors')}"
    assert csp.get("object-src") == ["'none'"], f"{what}: CSP object-src is {csp.get('object-src')}"
    assert "base-uri" in csp, f"{what}: CSP has no base-uri"

    hsts = response.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age and int(max_age.group(1)) >= ONE_YEAR, f"{what}: HSTS is {hsts!r}"
    assert "includeSubDomains" in hsts, f"{what}: HSTS is {hsts!r}"

    assert response.get("Referrer-Policy") in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }, f"{what}: Referrer-Policy is {response.get('Referrer-Policy')!r}"
    assert response.get("X-Content-Type-Options") == "nosniff", f"{what}: no X-Content-Type-Options: nosniff"
    assert response.get("Cross-Origin-Opener-Policy") == "same-origin", f"{what}: COOP is wrong or missing"
    assert response.get("X-Frame-Options") == "DENY", f"{what}: X-Frame-Options is wrong or missing"
    policy = response.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy, f"{what}: Permissions-Policy {policy!r} does not switch off {feature}"
    _checked.append(what)


def assert_only_allowed_scripts_and_no_inline_styles(response, what: str) -> None:
    """Each inline <script> is allowed by a hash or nonce in script-src; each external one is same-origin;
    no inline style or event-handler attribute (the CSP would block them)."""
    html = response.content.decode()
    script_src = csp_directives(response["Content-Security-Policy"])["script-src"]
    for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.IGNORECASE | re.DOTALL):
        if "application/json" in attributes or "application/ld+json" in attributes:
            continue  # data, never run
        src = re.search(r"""\ssrc=["']([^"']*)["']""", attributes)
        if src:
            assert src.group(1).startswith("/") and not src.group(1).startswith("//"), f"{what}: script from {src}"
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        nonce = re.search(r"""\snonce=["']([^"']+)["']""", attributes)
        allowed = f"'sha256-{digest}'" in script_src or (nonce and f"'nonce-{nonce.group(1)}'" in script_src)
        assert allowed, f"{what}: an inline script that the CSP neither hashes nor nonces: {body[:80]!r}"
    assert not re.search(r"<[a-z][^>]*\sstyle\s*=", html, flags=re.IGNORECASE), f"{what}: an inline style attribute"
    assert not re.search(r"<style\b", html, flags=re.IGNORECASE), f"{what}: an inline <style> element"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, flags=re.IGNORECASE), f"{what}: an inline event handler"


def assert_cookie(response, name: str, what: str) -> None:
    assert name in response.cookies, f"{what}: no {name} cookie (cookies: {list(response.cookies)})"
    cookie = response.cookies[name]
    assert cookie["secure"], f"{what}: {name} is not Secure"
    assert cookie["httponly"], f"{what}: {name} is not HttpOnly"
    assert cookie["samesite"].lower() in {"lax", "strict"}, f"{what}: {name} SameSite is {cookie['samesite']!r}"
    if name.startswith("__Host-"):
        assert cookie["path"] == "/" and not cookie["domain"], f"{what}: {name} breaks the __Host- prefix rules"


def test_a_public_page_sends_every_security_header(production):
    response = production.get(reverse("portal:home"))

    assert response.status_code == 200
    assert_security_headers(response, "home page")
    assert_only_allowed_scripts_and_no_inline_styles(response, "home page")


def test_a_detail_page_sends_every_security_header(production):
    response = production.get(reverse("boroughs:detail", kwargs={"slug": "hackney"}))

    assert response.status_code == 200
    assert_security_headers(response, "borough page")
    assert_only_allowed_scripts_and_no_inline_styles(response, "borough page")


def test_an_export_sends_every_security_header(production):
    response = production.get(reverse("datasets:csv", kwargs={"dataset": "pilots"}))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert_security_headers(response, "pilots CSV export")


def test_the_admin_sign_in_sends_every_security_header_and_a_locked_down_csrf_cookie(production):
    response = production.get(reverse("admin:login"))

    assert response.status_code == 200
    assert_security_headers(response, "admin sign-in")
    assert_cookie(response, django_settings.CSRF_COOKIE_NAME, "admin sign-in")
    assert django_settings.CSRF_COOKIE_NAME.startswith("__Host-")


def test_signing_in_sets_a_locked_down_session_cookie(production):
    device = authenticator(UserFactory(username="cookie-check", is_staff=True, is_superuser=True))
    production.get(reverse("admin:login"))

    response = production.post(
        reverse("admin:login"),
        {"username": "cookie-check", "password": PASSWORD, "next": reverse("admin:index")},
    )

    assert response.status_code == 302, "sign-in failed"
    assert_cookie(response, django_settings.SESSION_COOKIE_NAME, "admin sign-in (POST)")
    assert django_settings.SESSION_COOKIE_NAME.startswith("__Host-")
    code = production.post(reverse("admin:two_factor"), {"token": code_now(device)})
    assert code.status_code == 302, "second factor failed"
    assert_security_headers(code, "second factor (POST)")
    admin_index = production.get(reverse("admin:index"))
    assert admin_index.status_code == 200
    assert_security_headers(admin_index, "admin index (signed in)")


def test_plain_http_is_redirected_to_https(production):
    response = Client().get(reverse("portal:home"))

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_the_development_settings_send_the_same_headers_except_hsts(client):
    """Permissions-Policy and the rest come from base, so every environment sends them."""
    response = client.get(reverse("portal:home"))

    assert response.get("Permissions-Policy") == django_settings.PERMISSIONS_POLICY
    assert response.get("X-Content-Type-Options") == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
