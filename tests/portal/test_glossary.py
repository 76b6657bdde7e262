"""/glossary/: sourced definitions as a <dl>, and first-use links from the pages' running text."""

import re

import pytest

from core.models import PublicationStatus
from portal.glossary import GlossaryLinker
from sources.models import GlossaryTerm
from tests.factories import SourceFactory
from tests.html import main, text

pytestmark = pytest.mark.django_db


def test_the_glossary_lists_at_least_15_terms_each_with_its_definition_and_a_source_link(client):
    page = main(client.get("/glossary/"))
    entries = re.findall(r'<dt[^>]* id="([a-z0-9-]+)"[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>', page, re.S)

    assert page.count("<dl") == 1
    assert len(entries) >= 15
    assert len(entries) == GlossaryTerm.objects.public().count()
    for slug, _term, definition in entries:
        term = GlossaryTerm.objects.get(slug=slug)
        assert term.definition[:60] in text(definition)
        assert re.search(r'<a class="govuk-link" href="/sources/[a-z0-9-]+/">', definition), slug


def test_the_glossary_escapes_html_in_a_definition(client):
    term = GlossaryTerm.objects.create(
        slug="odd-term",
        term="Odd term",
        definition="<script>alert(1)</script> & <b>bold</b>",
        publication_status=PublicationStatus.PUBLISHED,
    )
    term.sources.set([SourceFactory()])

    page = client.get("/glossary/").content.decode()

    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


def test_the_glossary_is_in_the_sitemap(client):
    assert "http://testserver/glossary/" in client.get("/sitemap.xml").content.decode()


def test_only_a_terms_first_use_on_a_page_is_linked_and_the_text_is_escaped():
    linker = GlossaryLinker()

    first = str(linker.link("Each ICB <b>replaced</b> CCGs; an integrated care board is statutory."))
    later = str(linker.link("Another ICB."))

    assert first.count('href="/glossary/#integrated-care-board"') == 1
    assert '<a class="govuk-link" href="/glossary/#integrated-care-board">ICB</a>' in first
    assert '<a class="govuk-link" href="/glossary/#clinical-commissioning-group">CCGs</a>' in first
    assert "&lt;b&gt;replaced&lt;/b&gt;" in first and "<b>" not in first
    assert "integrated care board is statutory" in first  # the second use stays plain
    assert "href" not in later


def test_a_terms_name_with_html_in_a_page_is_escaped_too():
    GlossaryTerm.objects.filter(slug="five-ps").update(term='Five Ps"><script>')
    linker = GlossaryLinker()

    assert "<script>" not in str(linker.link('The Five Ps"><script> were set out.'))


def test_pages_link_a_terms_first_use_to_the_glossary(client):
    page = main(client.get("/places/city-and-hackney/"))

    links = re.findall(r'href="/glossary/#([a-z0-9-]+)"', page)
    assert "integrated-care-system" in links
    assert len(links) == len(set(links))  # each term once
