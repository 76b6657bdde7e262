"""The site pages that belong to no one model: home, about, accessibility, privacy, licence, 404, 500."""

from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.db import connection
from django.db.models import F
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.http import server_error
from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate
from portal.views.site import INTRODUCTION
from sources.models import KeyFigure, Source
from tests.factories import PilotFactory, UserFactory, grow_data

pytestmark = pytest.mark.django_db

STATIC_PAGES = ["portal:about", "portal:accessibility", "portal:privacy", "portal:licence"]
ALL_PAGES = ["portal:home", "portal:search", *STATIC_PAGES]


class PageParser(HTMLParser):
    """Links, the <title>, the <h1>s and the meta description of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.h1_count = 0
        self.title = ""
        self.description = None
        self._in_title = False
        self.style_attributes = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes += 1
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and attributes.get("name") == "description":
            self.description = attributes.get("content")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


def internal_links(page: PageParser) -> set[str]:
    """Same-site paths (fragments dropped); other sites' links and same-page fragments are left out."""
    found = set()
    for href in page.links:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        found.add(urldefrag(href)[0])
    return found


@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_answers_with_one_h1_a_title_and_a_description(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = parse(response)
    assert page.h1_count == 1
    assert page.title.strip().endswith("\u2013 London Health Devolution Portal")
    assert page.description
    assert page.style_attributes == 0


def test_page_titles_and_descriptions_are_unique(client):
    pages = [parse(client.get(reverse(name))) for name in ALL_PAGES]
    titles = [page.title.strip() for page in pages]
    assert len(set(titles)) == len(titles), titles
    descriptions = [page.description for page in pages]
    assert len(set(descriptions)) == len(descriptions)


def test_home_explains_devolution_with_numbered_citations_to_source_pages(client):
    response = client.get(reverse("portal:home"))
    content = response.content.decode()
    assert response.context["introduction"]
    sources = response.context["sources"]
    cited_slugs = {slug for _, slugs in INTRODUCTION for slug in slugs}
    assert {source.slug for source in sources} == cited_slugs
    for number, source in enumerate(sources, start=1):
        assert f'id="source-{number}"' in content
        assert f'href="#source-{number}"' in content
        assert f'href="{source.get_absolute_url()}"' in content
    for sentence in response.context["introduction"]:
        assert sentence.refs


def test_home_leaves_out_a_sentence_whose_only_source_is_unpublished(client):
    Source.objects.filter(slug="london-councils-2022-03-02-five-ps").update(publication_status=PublicationStatus.DRAFT)
    response = client.get(reverse("portal:home"))
    texts = [sentence.text for sentence in response.context["introduction"]]
    assert not any("2017" in text for text in texts)
    assert "london-councils-2022-03-02-five-ps" not in {source.slug for source in response.context["sources"]}


def test_home_lists_the_published_pilots_with_status_and_boroughs(client):
    draft = PilotFactory(title="Draft pilot never shown", publication_status=PublicationStatus.DRAFT)
    response = client.get(reverse("portal:home"))
    content = response.content.decode()
    pilots = Pilot.objects.public()
    assert len(response.context["pilots"]) == pilots.count() == 5
    for pilot in pilots:
        assert pilot.get_absolute_url() in content
    assert draft.title not in content
    assert "govuk-tag" in content
    assert 'href="/boroughs/hackney/"' in content or reverse("boroughs:detail", kwargs={"slug": "hackney"}) in content


def test_home_shows_the_map_the_five_latest_updates_and_key_figures(client):
    response = client.get(reverse("portal:home"))
    content = response.content.decode()
    assert 'class="app-london-map"' in content
    updates = response.context["updates"]
    assert len(updates) == 5
    dates = [update.happened_on for update in updates]
    assert dates == sorted(dates, reverse=True)
    newest = PilotUpdate.objects.public().order_by(F("happened_on").desc(nulls_last=True)).first()
    assert newest.happened_on_display in content
    # A year-precision date is shown as the year only, never as 1 January.
    assert "1 January" not in content
    figures = response.context["key_figures"]
    assert 3 <= len(figures) <= 4
    for figure in figures:
        assert figure.value_as_stated in content
        assert figure.source.get_absolute_url() in content
        assert figure.is_published and figure.source.is_published


def test_home_never_shows_a_draft_key_figure(client):
    KeyFigure.objects.filter(slug="london-population-next-two-decades").update(
        publication_status=PublicationStatus.DRAFT
    )
    response = client.get(reverse("portal:home"))
    assert "london-population-next-two-decades" not in {figure.slug for figure in response.context["key_figures"]}


def test_home_links_to_timeline_data_and_feeds(client):
    content = client.get(reverse("portal:home")).content.decode()
    for name in ("pilots:timeline", "datasets:hub", "pilots:feed", "pilots:list"):
        assert f'href="{reverse(name)}"' in content


HOME_QUERIES: dict[str, int] = {}


def count_home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return len(queries)


def test_home_query_count_does_not_grow_with_the_data(client):
    before = count_home_queries(client)
    grow_data(times=20)
    after = count_home_queries(client)
    assert before == after
    assert before <= 8, before


def test_every_page_linked_from_home_and_one_level_deeper_answers_200(client):
    """Crawl: the links on /, then the links on each of those pages; every internal link answers 200."""
    home = client.get("/")
    assert home.status_code == 200
    checked: dict[str, int] = {"/": 200}
    level_one = sorted(internal_links(parse(home)))
    level_two: set[str] = set()
    for url in level_one:
        response = client.get(url)
        checked[url] = response.status_code
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            level_two |= internal_links(parse(response))
    for url in sorted(level_two - checked.keys()):
        checked[url] = client.get(url).status_code
    broken = {url: status for url, status in checked.items() if status != 200}
    assert not broken, broken
    assert len(checked) > 50


def test_custom_404_page(client):
    response = client.get("/no-such-page-here/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found \u2013 London Health Devolution Portal" in content
    assert reverse("portal:search") in content
    assert parse(response).h1_count == 1


def test_500_page_renders_without_database_or_context_processors(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    content = response.content.decode()
    assert "Sorry, there is a problem with the service" in content
    assert 'href="/"' in content
    assert parse(response).h1_count == 1


def test_500_handler_is_wired_up():
    from devolution_portal import urls

    assert urls.handler500 == "core.http.server_error"


def test_static_pages_have_their_required_content(client):
    accessibility = client.get(reverse("portal:accessibility")).content.decode()
    for phrase in (
        "Enforcement procedure",
        "Equality and Human Rights Commission",
        "Equality Advisory and Support Service",
        "Compliance status",
        "We test every public page type with axe-core in Chromium at desktop width and at 320 px, check the HTML "
        "with the Nu HTML Checker, and test journeys by keyboard",
        "Preparation of this accessibility statement",
        "Report a problem with this page",
    ):
        assert phrase in accessibility, phrase
    assert "@" not in accessibility  # no invented email address

    privacy = client.get(reverse("portal:privacy")).content.decode()
    assert "do not set any cookies" in privacy
    assert "sessionid" in privacy and "csrftoken" in privacy

    licence = client.get(reverse("portal:licence")).content.decode()
    assert "Open Government Licence v3.0" in licence
    assert "MIT" in licence
    assert "London Health Devolution Portal (&lt;year&gt;), &lt;dataset&gt;, accessed &lt;date&gt;" in licence


def test_staff_see_the_same_public_home_page(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("portal:home")).status_code == 200


@pytest.mark.parametrize("name", ALL_PAGES)
def test_pages_refuse_post(client, name):
    assert client.post(reverse(name)).status_code == 405


def test_every_page_but_home_has_breadcrumbs(client):
    """Consistency (issue 13): a resident can always see where they are and go back up."""
    from tests.browser.pages import EXPECTED_STATUS, PUBLIC_PAGES

    for name, path in PUBLIC_PAGES.items():
        response = client.get(path())
        assert response.status_code == EXPECTED_STATUS.get(name, 200), name
        has_crumbs = 'class="govuk-breadcrumbs' in response.content.decode()
        assert has_crumbs == (name != "home"), name
