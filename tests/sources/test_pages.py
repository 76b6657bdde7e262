"""The public source pages: the filtered, paginated list and one page per published source."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import PublicationStatus
from pilots.models import Pilot
from sources.models import Source
from tests.factories import (
    KeyFigureFactory,
    PilotFactory,
    PilotUpdateFactory,
    SourceFactory,
    TimelineEventFactory,
    grow_data,
)
from tests.html import main, text, title

pytestmark = pytest.mark.django_db

NEWS_REPORT = "2015-12-15-road-test-health-care-models"
ONEILL = "oneill-2016-healthcare-collaboration"
REFERENCE = "london-reference-codes"


def listed_titles(response) -> list[str]:
    page = response.content.decode()
    match = re.search(r'<table[^>]*id="source-table"[^>]*>(.*?)</table>', page, re.S)
    assert match, "no source table"
    return [text(cell) for cell in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', match.group(1), re.S)]


# --- /sources/ -------------------------------------------------------------------------------------


def test_source_list_shows_every_published_source_newest_first(client):
    response = client.get("/sources/")

    assert response.status_code == 200
    titles = listed_titles(response)
    assert len(titles) == 25  # the first page of all the published sources
    newest = Source.objects.public().order_by("-published_on", "title")[:25]
    assert titles == [source.title for source in newest]
    body = text(main(client.get("/sources/", {"year": "2022"})))
    assert "Cllr Danny Thorpe, London Councils Executive member for Health and Care, The MJ" in body
    # Undated sources come at one end of the list (the first page on PostgreSQL, the last on SQLite).
    last = str(-(-Source.objects.public().count() // 25))
    assert any("Undated" in text(main(client.get("/sources/", {"page": page}))) for page in ("1", last))
    content = response.content.decode()
    assert f'href="/sources/{NEWS_REPORT}/"' in client.get("/sources/", {"year": "2015"}).content.decode()
    assert 'href="/data/sources.csv">Download this list (CSV)</a>' in content
    assert '<label class="govuk-label" for="filter-kind">' in content
    assert '<label class="govuk-label" for="filter-year">' in content
    assert title(response) == "Sources"
    assert main(response).count("<h1") == 1


def test_filtering_by_kind_and_year(client):
    news_2015 = listed_titles(client.get("/sources/", {"kind": "news_report", "year": "2015"}))
    assert news_2015 == list(
        Source.objects.public()
        .filter(kind="news_report", published_on__year=2015)
        .order_by("-published_on", "title")
        .values_list("title", flat=True)
    )
    assert "London boroughs to road test new health and care models" in news_2015
    assert "Human Devolution: Building The Relationships To Join-up Health And Care In London" in listed_titles(
        client.get("/sources/", {"year": "2017"})
    )
    assert listed_titles(client.get("/sources/", {"kind": "opinion_article", "year": "2022"})) == [
        "Now is the time for London councils to step up to the plate on integration"
    ]


def test_the_year_select_offers_the_years_of_published_sources(client):
    content = client.get("/sources/", {"year": "2016"}).content.decode()

    for year in ("2015", "2017", "2022"):
        assert f'<option value="{year}">{year}</option>' in content
    assert '<option value="2016" selected>2016</option>' in content


def test_a_valid_year_without_sources_gives_an_empty_list_not_an_error(client):
    response = client.get("/sources/", {"year": "2003"})

    assert response.status_code == 200
    assert listed_titles(response) == []
    assert "No sources match these filters." in response.content.decode()
    assert '<option value="2003" selected>2003</option>' in response.content.decode()


def test_the_csv_link_carries_the_filters_but_not_the_page(client):
    SourceFactory.create_batch(30, published_on=datetime.date(2019, 1, 1))

    content = client.get("/sources/", {"year": "2019", "page": "2"}).content.decode()

    assert 'href="/data/sources.csv?year=2019"' in content
    assert 'href="/data/sources.json?year=2019"' in content


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=XYZ", "kind"),
        ("kind=%00", "kind"),
        ("kind=news_report%00", "kind"),
        ("kind=%EF%BD%8E%EF%BD%85%EF%BD%97%EF%BD%93", "kind"),  # fullwidth "news"
        ("kind=" + "k" * 10000, "kind"),
        ("year=abc", "year"),
        ("year=1999", "year"),
        ("year=2101", "year"),
        ("year=-2017", "year"),
        ("year=2017.5", "year"),
        ("year=%00", "year"),
        ("year=" + "9" * 5000, "year"),
        ("year=%F0%9F%93%85", "year"),  # an emoji
        ("year=%ED%A0%80", "year"),  # not valid UTF-8
    ],
)
def test_invalid_filter_values_give_400_with_an_error_summary(client, query, field):
    response = client.get(f"/sources/?{query}")

    assert response.status_code == 400
    content = response.content.decode()
    assert '<div class="govuk-error-summary"' in content
    assert f'<a href="#filter-{field}">' in content
    assert f'<p id="filter-{field}-error" class="govuk-error-message">' in content
    assert 'id="source-table"' not in content
    assert title(response).startswith("Error: ")


def test_pages_of_25_keep_the_filters(client):
    SourceFactory.create_batch(30, published_on=datetime.date(2011, 1, 1))

    first = client.get("/sources/", {"year": "2011"})
    second = client.get("/sources/", {"year": "2011", "page": "2"})

    assert len(listed_titles(first)) == 25
    assert len(listed_titles(second)) == 5
    assert 'href="?year=2011&amp;page=2"' in first.content.decode()
    assert "30 sources Showing 26 to 30" in text(main(second))
    assert "Filters in use Remove filter Year published: 2011" in text(main(second))
    assert title(second) == "Sources (page 2 of 2)"
    assert set(listed_titles(first)).isdisjoint(listed_titles(second))


@pytest.mark.parametrize("page", ["0", "-1", "99999999", "abc", "20", "1.5", "%00", "9" * 5000, "%C2%B9", "last"])
def test_bad_page_numbers_are_404_with_a_message(client, page):
    response = client.get(f"/sources/?page={page}")

    assert response.status_code == 404
    assert "There is no such page of the list of sources" in response.content.decode()


def test_draft_and_withdrawn_sources_are_not_listed(client):
    SourceFactory(title="Secret draft source", publication_status=PublicationStatus.DRAFT)
    SourceFactory(title="Withdrawn source", publication_status=PublicationStatus.WITHDRAWN)

    SourceFactory(title="Published source", published_on=datetime.date(2011, 1, 1))
    titles = listed_titles(client.get("/sources/", {"year": "2020"})) + listed_titles(
        client.get("/sources/", {"year": "2011"})
    )

    assert "Secret draft source" not in titles
    assert "Withdrawn source" not in titles
    assert "Published source" in titles


# --- /sources/<slug>/ ------------------------------------------------------------------------------


def test_news_report_page_shows_its_details_and_what_cites_it(client):
    response = client.get(f"/sources/{NEWS_REPORT}/")

    assert response.status_code == 200
    body = text(main(response))
    assert "London boroughs to road test new health and care models" in body
    assert "News report" in body
    assert "15 December 2015" in body
    content = response.content.decode()
    # Anyone can open the source itself, one click from the page.
    address = "https://www.publicfinance.co.uk/news/2015/12/london-boroughs-road-test-new-health-and-care-models"
    assert f'href="{address}"' in content
    assert 'class="govuk-summary-list"' in content
    assert 'href="/pilots/hackney-health-and-social-care-integration/"' in content
    assert 'href="/pilots/hackney-health-and-social-care-integration/#update-announced"' in content
    assert 'href="/timeline/#event-five-devolution-pilots-announced"' in content
    assert "London Health Devolution Agreement signed, with five pilots" in body
    assert title(response).startswith(
        "Source: London boroughs to road test new health and care models (15 December 2015)"
    )


def test_source_page_shows_key_figures_as_stated(client):
    response = client.get(f"/sources/{ONEILL}/")

    assert response.status_code == 200
    body = text(main(response))
    assert "Teresa O'Neill, London Councils" in body  # the author, with the role the source gives
    assert "£2.3 billion" in body
    assert "10 million people" in body
    assert "Key figures" in body


def test_undated_source_says_undated(client):
    body = text(main(client.get("/sources/enabling-this-change-undated/")))

    assert "Date Undated" in body
    assert "a third" in body


def test_reference_list_page_shows_the_areas_citing_it(client):
    response = client.get(f"/sources/{REFERENCE}/")

    content = main(response)
    assert 'href="/boroughs/hackney/"' in content
    assert "E09000012" in content
    assert 'href="/ics/ncl/"' in content
    assert 'href="/places/city-and-hackney/"' in content
    assert "London's five integrated care boards set up" in text(content)


def test_source_with_a_web_address_links_it(client):
    source = SourceFactory(url="https://example.org/report", author="A. Writer", author_role="Chair", publisher="Pub")

    content = client.get(f"/sources/{source.slug}/").content.decode()

    assert 'href="https://example.org/report"' in content
    assert "A. Writer, Chair" in text(content)


def test_source_page_shows_only_published_records_that_cite_it(client):
    source = Source.objects.get(slug=NEWS_REPORT)
    PilotFactory(title="Draft citing pilot", publication_status=PublicationStatus.DRAFT, sources=[source])
    hackney = Pilot.objects.get(slug="hackney-health-and-social-care-integration")
    PilotUpdateFactory(
        pilot=hackney, title="Draft citing update", publication_status=PublicationStatus.DRAFT, sources=[source]
    )
    draft_pilot = PilotFactory(publication_status=PublicationStatus.DRAFT)
    PilotUpdateFactory(pilot=draft_pilot, title="Update of a draft pilot", sources=[source])
    TimelineEventFactory(title="Draft citing event", publication_status=PublicationStatus.DRAFT, sources=[source])
    KeyFigureFactory(label="Draft citing figure", publication_status=PublicationStatus.DRAFT, source=source)
    KeyFigureFactory(label="Published citing figure", value_as_stated="about 42", source=source)

    body = text(main(client.get(f"/sources/{NEWS_REPORT}/")))

    for hidden in (
        "Draft citing pilot",
        "Draft citing update",
        "Update of a draft pilot",
        "Draft citing event",
        "Draft citing figure",
    ):
        assert hidden not in body
    assert "Published citing figure about 42" in body


@pytest.mark.parametrize("status", [PublicationStatus.DRAFT, PublicationStatus.WITHDRAWN])
def test_unpublished_source_is_404(client, status):
    source = SourceFactory(publication_status=status)

    assert client.get(f"/sources/{source.slug}/").status_code == 404


@pytest.mark.parametrize("path", ["/sources/nothing-here/", "/sources/%C3%B1/", "/sources/a%00b/"])
def test_unknown_source_is_404(client, path):
    assert client.get(path).status_code == 404


def test_summary_is_escaped(client):
    source = SourceFactory(summary="<b>bold</b> & more\nnext line")

    content = main(client.get(f"/sources/{source.slug}/"))

    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more<br>next line" in content


# --- Query counts ----------------------------------------------------------------------------------

PAGES = [
    "/sources/",
    "/sources/?kind=opinion_article&year=2022",
    "/sources/?kind=XYZ",
    f"/sources/{NEWS_REPORT}/",
    f"/sources/{ONEILL}/",
    f"/sources/{REFERENCE}/",
]


def count_queries(client, path: str) -> int:
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code in (200, 400)
    return len(queries)


def test_query_counts_do_not_grow_with_the_data(client):
    before = {path: count_queries(client, path) for path in PAGES}

    grow_data(times=20)
    # Make the shipped sources cited by many more records, too.
    source = Source.objects.get(slug=NEWS_REPORT)
    for pilot in Pilot.objects.public()[:20]:
        pilot.sources.add(source)
        pilot.updates.first().sources.add(source)
    KeyFigureFactory.create_batch(20, source=source)
    assert Source.objects.public().count() > 100

    after = {path: count_queries(client, path) for path in PAGES}
    print("\nqueries per page (shipped data -> grown x20):", before)
    assert after == before
