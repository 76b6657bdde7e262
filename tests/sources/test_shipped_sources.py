"""The shipped sources can all be opened, and the five original texts carry their real addresses."""

import pytest
from django.db import IntegrityError, transaction

from core.models import PublicationStatus
from sources.models import KeyFigure, Source

pytestmark = pytest.mark.django_db

# /work/shared/BRIEF.md: the five texts the portal started from, as their pages give them.
ORIGINALS = {
    "2017-10-18-human-devolution": (
        "https://www.huffingtonpost.co.uk/dr-michelle-drage-mbbs-frcgp/human-devolution-building_b_18292936.html",
        "HuffPost UK",
        "Dr Michelle Drage",
        "18 October 2017",
    ),
    "london-councils-2022-03-02-five-ps": (
        "https://www.themj.co.uk/Now-is-the-time-for-London-councils-to-step-up-to-the-plate-on-integration/222719",
        "The MJ",
        "Cllr Danny Thorpe",
        "2 March 2022",
    ),
    "enabling-this-change-undated": (
        "https://www.england.nhs.uk/london/our-work/a-neighbourhood-health-service-for-london/"
        "the-case-for-change-executive-summary/enabling-this-change",
        "NHS England (London)",
        "",
        "undated",
    ),
    "2015-12-15-road-test-health-care-models": (
        "https://www.publicfinance.co.uk/news/2015/12/london-boroughs-road-test-new-health-and-care-models",
        "Public Finance",
        "",
        "15 December 2015",
    ),
    "oneill-2016-healthcare-collaboration": (
        "https://healthbusinessuk.net/features/healthcare-collaboration-capital",
        "Health Business",
        "Teresa O'Neill",
        "undated",
    ),
}
BANNED_HOSTS = (
    "totalwrapture.com",
    "glamourlaw-blog.com",
    "winenfood.com",
    "visualfoodie.com",
    "asphaltcalc.com",
    "newsportalspace.com",
    "hada.news",
    "london-today.com",
    "opencouncil.network",
)


def test_every_published_source_has_a_web_address():
    published = Source.objects.public()

    assert published.count() >= 25
    assert not [s.slug for s in published if not s.url.startswith(("https://", "http://"))]


@pytest.mark.parametrize("slug", ORIGINALS)
def test_the_five_originals_carry_the_addresses_publishers_authors_and_dates_of_their_pages(slug):
    url, publisher, author, date = ORIGINALS[slug]
    source = Source.objects.get(slug=slug)

    assert (source.url, source.publisher, source.author, source.published_on_display) == (url, publisher, author, date)


def test_no_source_is_a_banned_site_and_no_two_sources_share_an_address():
    urls = [url.lower().rstrip("/") for url in Source.objects.values_list("url", flat=True)]

    assert not [url for url in urls if any(host in url for host in BANNED_HOSTS)]
    assert len(urls) == len(set(urls))


def test_the_database_refuses_a_published_source_without_a_web_address():
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(
            slug="no-address", title="No address", kind="report", url="", publication_status=PublicationStatus.PUBLISHED
        )


def test_key_figures_keep_the_exact_number_and_the_sources_qualifier():
    figure = KeyFigure.objects.get(slug="london-residents-65-plus-growth")

    assert (figure.value, figure.value_qualifier, figure.value_as_stated) == (44, "over", "over 44 per cent")
    assert KeyFigure.objects.get(slug="london-care-record-uses").value_qualifier == "almost"
    assert KeyFigure.objects.get(slug="london-care-record-time-saved-value").value_qualifier == "up_to"
