"""The one inline script is allowed by its hash: if anyone edits it, this catches the stale hash
before browsers silently block it (and with it GOV.UK Frontend's JavaScript enhancements)."""

import base64
import hashlib
import re

from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory


def test_the_inline_script_in_the_page_template_matches_the_hash_the_policy_allows():
    page = render_to_string("base.html", request=RequestFactory().get("/"))
    inline_scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)

    assert len(inline_scripts) == 1
    digest = base64.b64encode(hashlib.sha256(inline_scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" == settings.GOVUK_JS_ENABLED_SCRIPT_HASH
    assert settings.GOVUK_JS_ENABLED_SCRIPT_HASH in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]
