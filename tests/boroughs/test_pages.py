"""The public pages for boroughs, integrated care systems and place partnerships, on the shipped data."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from boroughs.models import LocalAuthority, PlacePartnership
from core.models import PublicationStatus
from pilots.models import Pilot, TimelineEvent
from tests.factories import PilotFactory, PilotParticipantFactory, PilotUpdateFactory, grow_data
from tests.html import main, main_of, text, title

pytestmark = pytest.mark.django_db

NCL_MEMBERS = ["Barnet", "Camden", "Enfield", "Haringey", "Islington"]
HACKNEY_PILOT = "hackney-health-and-social-care-integration"


def table(content: bytes | str, table_id: str) -> str:
    page = content.decode() if isinstance(content, bytes) else content
    match = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    assert match, f"no table #{table_id}"
    return match.group(1)


def row_headers(content: bytes | str, table_id: str) -> list[str]:
    """The row headers (first column) of a table, in order."""
    return [text(cell) for cell in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', table(content, table_id), re.S)]


# --- /boroughs/ ------------------------------------------------------------------------------------


def test_borough_list_shows_all_33_authorities_with_codes_ics_and_place(client):
    response = client.get("/boroughs/")

    assert response.status_code == 200
    names = row_headers(response.content, "authority-table")
    assert len(names) == 33
    assert names == sorted(names)
    rows = table(response.content, "authority-table")
    assert "E09000012" in rows and "E09000033" in rows
    assert 'href="/boroughs/hackney/"' in rows
    assert 'href="/ics/nel/"' in rows
    assert 'href="/places/city-and-hackney/"' in rows
    assert "City of London (sui generis)" in rows
    assert title(response) == "London boroughs and the City of London"
    assert main(response).count("<h1") == 1


def test_borough_list_has_a_govuk_filter_form_map_and_csv_link(client):
    response = client.get("/boroughs/")
    content = response.content.decode()

    for name in ("ics", "kind", "sort"):
        assert f'<label class="govuk-label" for="filter-{name}">' in content
        assert f'<select class="govuk-select" id="filter-{name}" name="{name}"' in content
    assert "Apply filters" in content
    assert 'href="/boroughs/">Clear filters</a>' in content
    assert 'class="app-london-map"' in content
    assert content.count('class="app-london-map__link') == 33
    assert 'href="/data/boroughs.csv">Download this list (CSV)</a>' in content


@pytest.mark.parametrize("value", ["NCL", "ncl"])
def test_filtering_by_ics_lists_exactly_its_members(client, value):
    response = client.get("/boroughs/", {"ics": value})

    assert response.status_code == 200
    assert row_headers(response.content, "authority-table") == NCL_MEMBERS
    assert "5 of 33 local authorities" in response.content.decode()
    assert '<option value="NCL" selected>' in response.content.decode()


def test_filtering_by_kind_lists_only_the_city(client):
    response = client.get("/boroughs/", {"kind": "city_of_london"})

    assert response.status_code == 200
    assert row_headers(response.content, "authority-table") == ["City of London"]


def test_london_boroughs_filter_leaves_out_the_city(client):
    names = row_headers(client.get("/boroughs/", {"kind": "london_borough"}).content, "authority-table")

    assert len(names) == 32
    assert "City of London" not in names


def test_sorting_by_gss_code_descending_puts_westminster_first(client):
    response = client.get("/boroughs/", {"sort": "-gss_code"})

    names = row_headers(response.content, "authority-table")
    assert names[0] == "Westminster"  # E09000033
    assert names[-1] == "City of London"  # E09000001
    assert '<option value="-gss_code" selected>' in response.content.decode()


def test_sorting_by_ics_keeps_names_in_order_within_each_ics(client):
    names = row_headers(client.get("/boroughs/", {"sort": "ics"}).content, "authority-table")

    assert names[:5] == NCL_MEMBERS


def test_filters_combine_and_the_csv_link_carries_them(client):
    response = client.get("/boroughs/", {"ics": "NEL", "kind": "city_of_london", "sort": "-name"})

    assert row_headers(response.content, "authority-table") == ["City of London"]
    content = response.content.decode()
    assert 'href="/data/boroughs.csv?ics=NEL&amp;kind=city_of_london&amp;sort=-name"' in content
    assert 'href="/data/boroughs.json?ics=NEL&amp;kind=city_of_london&amp;sort=-name"' in content


@pytest.mark.parametrize("query", ["", "ics=NCL"])
def test_the_boroughs_map_marks_the_authorities_in_a_pilot_and_its_key_says_so(client, query):
    """The dot means one thing on the page, whatever the filter: taking part in a pilot."""
    content = client.get(f"/boroughs/?{query}").content.decode()
    in_pilots = set(
        Pilot.objects.public()
        .values_list("participants__authority__gss_code", flat=True)
        .exclude(participants__authority__isnull=True)
    )
    marked = set(re.findall(r'app-london-map__link--highlighted"[^>]*data-gss-code="(E09\d{6})"', content))
    assert marked == in_pilots and len(marked) == 10
    assert "Yellow dot and black outline: taking part in a pilot (10 of 33)" in content
    assert "What the three-letter labels stand for" in content


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ics=XYZ", "ics"),
        ("ics=%00", "ics"),
        ("ics=NC%00L", "ics"),
        ("ics=" + "N" * 5000, "ics"),
        ("ics=%C3%B1cl", "ics"),  # ñcl
        ("ics=%F0%9F%8F%A5", "ics"),  # an emoji
        ("ics=%ED%A0%80", "ics"),  # an unpaired surrogate, not valid UTF-8
        ("kind=%00", "kind"),
        ("kind=borough", "kind"),
        ("kind=%EF%BD%8C%EF%BD%8F%EF%BD%8E%EF%BD%84%EF%BD%8F%EF%BD%8E", "kind"),  # fullwidth "london"
        ("sort=nonsense", "sort"),
        ("sort=gss_code;drop", "sort"),
        ("sort=%00", "sort"),
        ("sort=" + "x" * 10000, "sort"),
    ],
)
def test_invalid_filter_values_give_400_with_an_error_summary_not_an_unfiltered_list(client, query, field):
    response = client.get(f"/boroughs/?{query}")

    assert response.status_code == 400
    content = response.content.decode()
    assert '<div class="govuk-error-summary"' in content
    assert f'<a href="#filter-{field}">' in content
    assert f'<p id="filter-{field}-error" class="govuk-error-message">' in content
    assert f'aria-describedby="filter-{field}-error"' in content
    assert 'id="authority-table"' not in content
    assert title(response).startswith("Error: ")
    assert "\x00" not in content


def test_only_the_invalid_filter_is_marked_as_an_error(client):
    response = client.get("/boroughs/", {"ics": "NCL", "kind": "nonsense"})

    content = response.content.decode()
    assert response.status_code == 400
    assert 'id="filter-kind-error"' in content
    assert 'id="filter-ics-error"' not in content
    assert '<option value="NCL" selected>' in content


def test_unknown_parameters_are_ignored(client):
    response = client.get("/boroughs/", {"colour": "blue"})

    assert response.status_code == 200
    assert len(row_headers(response.content, "authority-table")) == 33


# --- /boroughs/<slug>/ -----------------------------------------------------------------------------


def test_hackney_page_shows_codes_ics_place_pilot_and_updates(client):
    response = client.get("/boroughs/hackney/")

    assert response.status_code == 200
    body = text(main(response))
    assert "E09000012" in body
    assert "North East London" in body
    assert "City and Hackney place partnership" in body
    assert "Hackney: fully joining up health and social care" in body
    assert "Under way" in body
    content = response.content.decode()
    assert 'class="govuk-summary-list"' in content
    assert 'href="/ics/nel/"' in content
    assert 'href="/places/city-and-hackney/"' in content
    assert f'href="/pilots/{HACKNEY_PILOT}/"' in content
    assert f'href="/pilots/{HACKNEY_PILOT}/#update-announced"' in content
    assert "15 December 2015" in body
    assert "18 October 2017" in body
    assert "Last updated:" in body
    assert title(response) == "Hackney: health and care devolution"
    assert main(response).count("<h1") == 1


def test_hackney_updates_are_newest_first_with_the_source_precision(client):
    body = text(main(client.get("/boroughs/hackney/")))

    assert body.index("18 October 2017") < body.index("Plans set out") < body.index("15 December 2015")
    # The 2016 update's source gives only the year.
    assert "2016 Plans set out" in body
    assert "1 January 2016" not in body


def test_borough_page_links_its_atom_feed_in_the_head_and_the_body(client):
    content = client.get("/boroughs/hackney/").content.decode()
    head = content[: content.index("</head>")]

    assert '<link rel="alternate" type="application/atom+xml" href="/boroughs/hackney/updates.atom"' in head
    assert 'href="/boroughs/hackney/updates.atom">' in main_of(content)


def test_borough_page_highlights_the_authority_on_the_map(client):
    content = client.get("/boroughs/hackney/").content.decode()

    assert content.count("app-london-map__link--highlighted") == 1
    assert re.search(r'app-london-map__link--highlighted"[^>]*data-gss-code="E09000012"', content)


def test_borough_page_numbers_its_sources(client):
    content = client.get("/boroughs/hackney/").content.decode()

    assert 'id="source-1"' in content
    assert 'href="/sources/london-reference-codes/"' in content


def test_a_pilot_role_is_shown_where_recorded(client):
    pilot = PilotFactory(title="Role test pilot")
    PilotParticipantFactory(pilot=pilot, authority=LocalAuthority.objects.get(slug="westminster"), role="Lead borough")

    body = text(main(client.get("/boroughs/westminster/")))

    assert "Role test pilot" in body
    assert "Role: Lead borough" in body


def test_borough_without_pilots_says_so(client):
    body = text(main(client.get("/boroughs/westminster/")))

    assert "Westminster does not take part in any of the devolution pilots on this site" in body
    assert "No updates are recorded yet" in body


def test_borough_page_lists_only_the_20_newest_updates_and_links_the_timeline(client):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    for n in range(25):
        PilotUpdateFactory(
            pilot=pilot,
            title=f"Numbered update {n:02d}",
            happened_on=datetime.date(2030, 1, 1 + n),
            happened_on_precision="day",
        )

    response = client.get("/boroughs/hackney/")
    body = text(main(response))

    shown = re.findall(r"Numbered update (\d\d)", body)
    assert shown == [f"{n:02d}" for n in range(24, 4, -1)]
    assert "15 December 2015" not in body
    assert 'href="/timeline/?borough=hackney">See all updates for Hackney on the timeline' in response.content.decode()


def test_draft_pilots_and_updates_are_not_on_the_borough_page(client):
    hackney = LocalAuthority.objects.get(slug="hackney")
    draft = PilotFactory(title="Secret draft pilot", publication_status=PublicationStatus.DRAFT)
    PilotParticipantFactory(pilot=draft, authority=hackney)
    PilotUpdateFactory(pilot=draft, title="Update of a draft pilot")
    PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT), title="Draft update", publication_status=PublicationStatus.DRAFT
    )
    PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT),
        title="Withdrawn update",
        publication_status=PublicationStatus.WITHDRAWN,
    )

    body = text(main(client.get("/boroughs/hackney/")))

    assert "Secret draft pilot" not in body
    assert "Update of a draft pilot" not in body
    assert "Draft update" not in body
    assert "Withdrawn update" not in body
    assert "Hackney: fully joining up health and social care" in body


def test_borough_description_is_escaped_plain_text_with_line_breaks(client):
    LocalAuthority.objects.filter(slug="hackney").update(
        description="<script>alert(1)</script> first line\nsecond line\n\nA second paragraph & more."
    )

    content = main(client.get("/boroughs/hackney/"))

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt; first line<br>second line" in content
    assert '<p class="govuk-body">A second paragraph &amp; more.</p>' in content


@pytest.mark.parametrize("path", ["/boroughs/nowhere/", "/boroughs/HACKNEY/", "/boroughs/%C3%B1/", "/boroughs/a%00b/"])
def test_unknown_borough_is_404(client, path):
    assert client.get(path).status_code == 404


# --- /ics/ -----------------------------------------------------------------------------------------


def test_ics_list_shows_the_five_systems_with_codes(client):
    response = client.get("/ics/")

    assert response.status_code == 200
    assert row_headers(response.content, "ics-table") == [
        "North Central London",
        "North East London",
        "North West London",
        "South East London",
        "South West London",
    ]
    rows = table(response.content, "ics-table")
    for code in ("QMJ", "QMF", "QRV", "QKK", "QWE", "E54000028", "E54000031"):
        assert code in rows
    assert 'href="/ics/ncl/"' in rows
    assert title(response) == "London's integrated care systems"


def test_ncl_page_shows_its_codes_and_exactly_its_five_members(client):
    response = client.get("/ics/ncl/")

    assert response.status_code == 200
    body = text(main(response))
    assert "QMJ" in body
    assert "E54000028" in body
    assert "NHS North Central London Integrated Care Board" in body
    assert "1 July 2022" in body
    assert "North London Partners in Health and Care" in body
    assert row_headers(response.content, "member-table") == NCL_MEMBERS
    assert "North Central London: making better use of NHS estate" in body
    assert "Hackney: fully joining up" not in body
    content = response.content.decode()
    assert content.count("app-london-map__link--highlighted") == 5
    assert 'href="/places/barnet/"' in content
    assert 'href="/sources/london-reference-codes/"' in content
    assert "Last updated:" in body
    assert title(response) == "North Central London integrated care system"


def test_nel_page_shows_city_and_hackney_as_one_place(client):
    response = client.get("/ics/nel/")

    assert len(row_headers(response.content, "member-table")) == 8
    assert "City and Hackney place partnership (City of London and Hackney)" in text(main(response))


@pytest.mark.parametrize("path", ["/ics/NCL/", "/ics/Ncl/"])
def test_ics_code_in_another_case_redirects_permanently_to_lower_case(client, path):
    response = client.get(path)

    assert response.status_code == 301
    assert response["Location"] == "/ics/ncl/"


@pytest.mark.parametrize("path", ["/ics/xyz/", "/ics/XYZ/", "/ics/nclx/", "/ics/nc/", "/ics/%00cl/", "/ics/%C3%B1cl/"])
def test_unknown_ics_is_404(client, path):
    assert client.get(path).status_code == 404


def test_draft_pilot_is_not_on_the_ics_page(client):
    draft = PilotFactory(title="Secret draft pilot", publication_status=PublicationStatus.DRAFT)
    PilotParticipantFactory(pilot=draft, authority=LocalAuthority.objects.get(slug="camden"))

    assert "Secret draft pilot" not in client.get("/ics/ncl/").content.decode()


# --- /places/ --------------------------------------------------------------------------------------


def test_place_list_shows_32_places_and_their_members(client):
    response = client.get("/places/")

    assert response.status_code == 200
    names = row_headers(response.content, "place-table")
    assert len(names) == 32
    assert "City and Hackney place partnership" in names
    rows = table(response.content, "place-table")
    assert (
        'href="/boroughs/city-of-london/">City of London</a>, <a class="govuk-link" href="/boroughs/hackney/">' in rows
    )
    assert title(response) == "London's place partnerships"


def test_city_and_hackney_place_has_two_members(client):
    response = client.get("/places/city-and-hackney/")

    assert response.status_code == 200
    members = re.search(r'<ul class="govuk-list" id="place-members">(.*?)</ul>', response.content.decode(), re.S)
    assert re.findall(r"<a [^>]*>(.*?)</a>", members.group(1)) == ["City of London", "Hackney"]
    body = text(main(response))
    assert "North East London" in body
    assert "Local authorities" in body
    assert "Last updated:" in body
    assert response.content.decode().count("app-london-map__link--highlighted") == 2
    assert title(response) == "City and Hackney place partnership"


def test_place_page_shows_not_recorded_for_an_empty_description(client):
    PlacePartnership.objects.filter(slug="barnet").update(description="")
    body = text(main(client.get("/places/barnet/")))

    assert "Local authority Barnet" in body
    assert "About this partnership Not recorded" in body


@pytest.mark.parametrize("slug", ["city-and-hackney", "bromley", "westminster"])
def test_every_place_page_says_what_the_partnership_is_with_its_sources(client, slug):
    place = PlacePartnership.objects.get(slug=slug)
    page = main(client.get(f"/places/{slug}/"))

    assert place.description and place.description[:60] in text(page)
    assert "About this partnership Not recorded" not in text(page)
    for source in place.sources.public():
        assert f'href="/sources/{source.slug}/"' in page


def test_no_place_partnership_lacks_a_description_or_a_published_source():
    assert not PlacePartnership.objects.filter(description="").exists()
    assert all(
        place.sources.public().exclude(slug="london-reference-codes") for place in PlacePartnership.objects.all()
    )


def test_unknown_place_is_404(client):
    assert client.get("/places/nowhere/").status_code == 404


# --- Query counts ----------------------------------------------------------------------------------

PAGES = [
    "/boroughs/",
    "/boroughs/?ics=NCL&sort=-gss_code",
    "/boroughs/?ics=XYZ",
    "/boroughs/hackney/",
    "/boroughs/bexley/",
    "/ics/",
    "/ics/ncl/",
    "/places/",
    "/places/city-and-hackney/",
]


def count_queries(client, path: str) -> int:
    client.get(path)  # warm any one-off caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code in (200, 400)
    return len(queries)


def test_query_counts_do_not_grow_with_the_data(client):
    before = {path: count_queries(client, path) for path in PAGES}

    grow_data(times=20)
    # Bexley had no pilot and now takes part in some, with updates; Hackney's page has more than 20 updates.
    assert Pilot.objects.filter(participants__authority__slug="bexley").count() > 1

    after = {path: count_queries(client, path) for path in PAGES}
    print("\nqueries per page (shipped data -> grown x20):", before)
    assert after == before


def test_area_pages_list_20_pilots_and_link_to_the_rest(client):
    hackney = LocalAuthority.objects.select_related("ics").get(slug="hackney")
    for number in range(25):
        PilotParticipantFactory(pilot=PilotFactory(title=f"Zz pilot {number:02}"), authority=hackney)
    total = hackney.pilot_participations.filter(pilot__publication_status="published").count()
    borough = client.get("/boroughs/hackney/").content.decode()
    assert f'href="/pilots/?borough=hackney">See all {total} pilots' in borough
    ics = client.get(f"/ics/{hackney.ics.code.lower()}/").content.decode()
    assert f'href="/pilots/?ics={hackney.ics.code.lower()}">See all ' in ics


# --- Linked timeline events --------------------------------------------------------------------------


def _event_ids(page: str) -> set[str]:
    section = page[page.index('<section id="events"') : page.index("</section>", page.index('<section id="events"'))]
    return set(re.findall(r'<li class="app-event-list__item[^"]*" id="(event-[^"]+)"', section))


def test_a_london_wide_event_shows_on_every_borough_page_and_a_local_one_only_on_its_own(client):
    london_wide = TimelineEvent.objects.get(slug="london-icbs-established")
    local = TimelineEvent.objects.get(slug="ncl-nwl-icb-boards-endorse-merger")
    assert london_wide.london_wide and not local.london_wide
    for authority in LocalAuthority.objects.all():
        shown = _event_ids(main(client.get(f"/boroughs/{authority.slug}/")))
        assert "event-london-icbs-established" in shown, authority.slug
        linked = local.authorities.filter(pk=authority.pk).exists()
        assert ("event-ncl-nwl-icb-boards-endorse-merger" in shown) == linked, authority.slug


def test_ics_and_place_pages_show_the_events_linked_to_them(client):
    assert "event-ncl-nwl-icb-boards-endorse-merger" in _event_ids(main(client.get("/ics/ncl/")))
    assert "event-ncl-nwl-icb-boards-endorse-merger" not in _event_ids(main(client.get("/ics/sel/")))
    assert "event-ccg-mergers-april-2021" in _event_ids(main(client.get("/places/city-and-hackney/")))
    assert "event-ccg-mergers-april-2021" not in _event_ids(main(client.get("/places/bromley/")))
