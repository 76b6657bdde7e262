"""The public pilot pages and the timeline, on the shipped data: what they show, what they hide, how
they answer bad input, and that their query counts do not grow with the data."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client

from boroughs.models import LocalAuthority
from core.dates import is_older_than_years
from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate, TimelineEvent
from portal.views.pilots import pilot_page_context
from tests.factories import (
    PilotFactory,
    PilotParticipantFactory,
    PilotUpdateFactory,
    SourceFactory,
    TimelineEventFactory,
    grow_data,
)

from .conftest import parse_html

pytestmark = pytest.mark.django_db

NCL = "north-central-london-estates"
LEWISHAM = "lewisham-physical-and-mental-health-integration"
HARINGEY = "haringey-prevention"
HACKNEY = "hackney-health-and-social-care-integration"


def listed_pilot_slugs(document) -> list[str]:
    table = document.find_all("table", cls="app-pilot-table")
    if not table:
        return []
    links = [row.find("a") for row in table[0].find("tbody").find_all("tr")]
    return [link.attrs["href"].strip("/").split("/")[-1] for link in links]


def timeline_ids(document) -> list[str]:
    return [item.attrs["id"] for item in document.find_all("li", cls="app-timeline__item")]


# --- /pilots/ ------------------------------------------------------------------------------------


def test_the_pilot_list_shows_the_five_published_pilots_with_their_facts(page):
    document = page("/pilots/")

    assert sorted(listed_pilot_slugs(document)) == sorted(Pilot.objects.values_list("slug", flat=True))
    assert document.find(id="results-count").words == "5 pilots"
    ncl_row = next(row for row in document.find("tbody").find_all("tr") if NCL in row.find("a").attrs["href"])
    assert ncl_row.find("a").words == "North Central London: making better use of NHS estate"
    assert "NHS estates" in ncl_row.words
    assert ncl_row.find(cls="govuk-tag").words == "Under way"
    assert "Barnet, Camden, Enfield, Haringey, Islington" in ncl_row.words
    assert "15 December 2015" in ncl_row.words
    assert len(document.find_all("h1")) == 1


def test_the_pilot_list_has_a_filter_form_of_labelled_selects(page):
    document = page("/pilots/")
    form = document.find("form")

    assert form.attrs["method"] == "get"
    labels = {label.attrs.get("for"): label.words for label in form.find_all("label")}
    expected = {
        "theme": "Theme",
        "status": "Status",
        "ics": "Integrated care system",
        "borough": "Borough",
        "year": "Year announced",
    }
    for name, label in expected.items():
        select = form.find("select", id=f"filter-{name}")
        assert select.attrs["name"] == name
        assert labels[f"filter-{name}"] == label
    assert form.find("button").words == "Apply filters"
    assert "Clear filters" in [link.words for link in form.find_all("a")]
    assert [option.attrs["value"] for option in form.find("select", id="filter-year").find_all("option")] == [
        "",
        "2015",
    ]


def test_ics_filter_shows_the_ncl_estates_pilot_and_not_lewishams(page):
    document = page("/pilots/?ics=NCL")

    slugs = listed_pilot_slugs(document)
    assert NCL in slugs
    assert LEWISHAM not in slugs
    # Haringey is in North Central London too; nothing else is.
    assert sorted(slugs) == sorted([NCL, HARINGEY])
    assert document.find(id="results-count").words == "2 pilots"
    assert page("/pilots/?ics=ncl").find(id="results-count").words == "2 pilots"


def test_borough_filter_shows_the_two_haringey_pilots(page):
    assert sorted(listed_pilot_slugs(page("/pilots/?borough=haringey"))) == sorted([NCL, HARINGEY])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("theme=integration", [HACKNEY, LEWISHAM]),
        ("theme=estates", [NCL]),
        ("ics=SEL", [LEWISHAM]),
        ("ics=NWL", []),
        ("status=announced", []),
        ("status=under_way", None),
        ("year=2015", None),
        ("year=2016", []),
        ("borough=havering", ["barking-dagenham-havering-redbridge-accountable-care"]),
        ("theme=prevention&ics=NCL", [HARINGEY]),
    ],
)
def test_filters_change_the_results(page, query, expected):
    document = page(f"/pilots/?{query}")
    if expected is None:
        expected = list(Pilot.objects.values_list("slug", flat=True))

    assert sorted(listed_pilot_slugs(document)) == sorted(expected)
    count = len(expected)
    assert document.find(id="results-count").words == f"{count} pilot{'' if count == 1 else 's'}"


def test_the_download_link_carries_the_current_filters(page):
    document = page("/pilots/?ics=NCL&theme=estates")
    link = next(a for a in document.find_all("a") if a.words == "Download this list (CSV)")

    assert link.attrs["href"].startswith("/data/pilots.csv?")
    assert "ics=NCL" in link.attrs["href"] and "theme=estates" in link.attrs["href"]


def test_a_selected_filter_stays_selected(page):
    document = page("/pilots/?ics=ncl&theme=estates")

    selected = {
        select.attrs["name"]: [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs]
        for select in document.find_all("select")
    }
    assert selected["ics"] == ["NCL"]
    assert selected["theme"] == ["estates"]
    assert selected["status"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ics=XYZ", "ics"),
        ("year=abc", "year"),
        ("year=99999", "year"),
        ("year=1999", "year"),
        ("theme=%00", "theme"),
        ("theme=nonsense", "theme"),
        ("status=finished", "status"),
        ("borough=nowhere", "borough"),
        ("borough=%00", "borough"),
        ("ics=N%00L", "ics"),
        ("borough=h%C3%A4ringey", "borough"),
        ("borough=%F0%9F%8F%A5%E2%80%AE", "borough"),
        ("borough=%ED%A0%80", "borough"),
        ("theme=" + "x" * 5000, "theme"),
        ("borough=" + "b" * 5000, "borough"),
        ("year=" + "9" * 5000, "year"),
        ("ics=" + "N" * 5000, "ics"),
    ],
)
def test_invalid_filter_values_are_a_400_with_an_error_summary_not_an_unfiltered_list(page, query, field):
    document = page(f"/pilots/?{query}", status=400)

    summary = document.find(cls="govuk-error-summary")
    assert summary.find("a").attrs["href"] == f"#filter-{field}"
    group = document.find("select", id=f"filter-{field}")
    assert "govuk-select--error" in group.classes
    assert document.find(id=f"filter-{field}-error").words.startswith("Error:")
    assert listed_pilot_slugs(document) == []
    assert document.find("title").words.startswith("Error:")


def test_unknown_parameters_are_ignored(page):
    assert len(listed_pilot_slugs(page("/pilots/?colour=blue"))) == 5


# --- /pilots/<slug>/ -----------------------------------------------------------------------------


def test_the_ncl_page_names_exactly_its_five_participating_boroughs(page):
    participants = page(f"/pilots/{NCL}/").find("section", id="participants")
    links = participants.find("ul").find_all("a")

    assert [link.words for link in links] == ["Barnet", "Camden", "Enfield", "Haringey", "Islington"]
    assert [link.attrs["href"] for link in links] == [
        "/boroughs/barnet/",
        "/boroughs/camden/",
        "/boroughs/enfield/",
        "/boroughs/haringey/",
        "/boroughs/islington/",
    ]
    assert participants.find("li").words == "Barnet (consortium member)"


def test_the_pilot_page_shows_its_facts(page):
    document = page(f"/pilots/{NCL}/")
    pilot = Pilot.objects.get(slug=NCL)

    assert [h1.words for h1 in document.find_all("h1")] == [pilot.title]
    facts = document.find("dl", id="pilot-facts").words
    assert "Status Under way" in facts
    assert "Theme NHS estates" in facts
    assert "Announced 15 December 2015" in facts
    assert pilot.summary in document.find(cls="app-pilot-summary").words
    aims = document.find(id="aims")
    assert aims.tag == "h2"
    assert [li.words for li in document.find("ul", cls="govuk-list--bullet").find_all("li")] == pilot.aims_list
    london_map = document.find("figure", cls="app-london-map")
    highlighted = {a.attrs["data-gss-code"] for a in london_map.find_all("a", cls="app-london-map__link--highlighted")}
    assert highlighted == {"E09000003", "E09000007", "E09000010", "E09000014", "E09000019"}


def test_the_pilot_page_lists_updates_oldest_first_at_the_precision_of_the_source(page):
    document = page(f"/pilots/{NCL}/")
    items = document.find("section", id="updates").find_all("li", cls="app-timeline__item")

    assert [item.attrs["id"] for item in items][:4] == [
        "update-announced",
        "update-plans-2016",
        "update-outline-business-case-2017-11",
        "update-north-middlesex-surplus-land-2019",
    ]
    dates = [item.find(cls="app-timeline__date").words for item in items]
    assert dates[:4] == ["Date: 15 December 2015", "Date: 2016", "Date: November 2017", "Date: March 2019"]
    undated = dates.index("Date: Not recorded")
    assert undated > 4 and set(dates[undated:]) == {"Date: Not recorded"}  # undated ones last
    assert "1 January 2016" not in document.find("section", id="updates").words
    assert items[1].find("time").attrs["datetime"] == "2016"
    assert items[2].find("time").attrs["datetime"] == "2017-11"
    assert items[0].find("time").attrs["datetime"] == "2015-12-15"
    assert items[0].find(cls="app-timeline__status").words == "Status: Announced"
    quotation = items[0].find("blockquote")
    assert "free up unused buildings and land" in quotation.words
    assert items[0].find("figcaption").words == "Simon Stevens, NHS England chief executive"
    assert not items[2].find_all(cls="app-timeline__status")


def test_the_pilot_page_numbers_its_sources_in_order_of_first_citation(page):
    document = page(f"/pilots/{NCL}/")
    refs = document.find("section", id="sources").find("ol", cls="app-source-refs").find_all("li")
    pilot = Pilot.objects.get(slug=NCL)
    # The pilot's own sources first (in date order), then each update's new ones as first cited.
    own = [f"/sources/{s.slug}/" for s in pilot.sources.public().order_by("published_on", "title")]

    assert [li.attrs["id"] for li in refs] == [f"source-{n}" for n in range(1, len(refs) + 1)]
    assert [li.find("a").attrs["href"] for li in refs][: len(own)] == own
    cites = [a.attrs["href"] for a in document.find("section", id="updates").find_all("a", cls="app-citation")]
    numbers = [int(cite.removeprefix("#source-")) for cite in cites]
    new_numbers = [n for n in numbers if n > len(own)]
    assert new_numbers == sorted(set(new_numbers), key=new_numbers.index) == list(range(len(own) + 1, len(refs) + 1))
    assert document.find("section", id="updates").find("a", cls="app-citation").words.startswith("Source [")
    summary_cites = [a.attrs["href"] for a in document.find(cls="app-pilot-summary").find_all("a", cls="app-citation")]
    assert summary_cites == [f"#source-{n}" for n in range(1, len(own) + 1)]


def test_every_cited_number_exists_on_every_pilot_page(page):
    for slug in Pilot.objects.values_list("slug", flat=True):
        document = page(f"/pilots/{slug}/")
        ids = {li.attrs["id"] for li in document.find("section", id="sources").find_all("li")}
        cited = {a.attrs["href"].lstrip("#") for a in document.find_all("a", cls="app-citation")}
        assert cited and cited <= ids, slug


def test_the_pilot_page_links_to_its_feed_and_says_when_it_was_last_updated(page):
    document = page(f"/pilots/{NCL}/")
    alternate = [link for link in document.find_all("link") if link.attrs.get("rel") == "alternate"]

    assert [link.attrs["href"] for link in alternate] == [f"/pilots/{NCL}/updates.atom"]
    assert alternate[0].attrs["type"] == "application/atom+xml"
    assert any(a.attrs["href"] == f"/pilots/{NCL}/updates.atom" for a in document.find_all("a"))
    assert re.fullmatch(r"Last updated: \d{1,2} \w+ \d{4}", document.find(cls="app-last-updated").words)


def test_last_updated_is_the_latest_change_of_the_pilot_or_its_updates(page):
    pilot = Pilot.objects.get(slug=NCL)
    update = pilot.updates.get(slug="plans-2016")
    update.title = "Partnership working on the NHS estate (edited)"
    update.save()
    latest = update.history.latest().history_date

    context = pilot_page_context(pilot, pilot.updates.all())

    assert context["last_updated"] == latest


def test_an_unknown_or_draft_pilot_is_a_404(page):
    PilotFactory(slug="secret-draft-pilot", publication_status=PublicationStatus.DRAFT)

    page("/pilots/no-such-pilot/", status=404)
    page("/pilots/secret-draft-pilot/", status=404)
    page("/pilots/%E2%80%AE/", status=404)


def test_pilot_page_context_can_preview_a_draft(page):
    """The admin's preview builds the same context for a draft pilot and its draft updates."""
    source = SourceFactory(title="Preview source")
    pilot = PilotFactory(slug="draft-for-preview", publication_status=PublicationStatus.DRAFT, sources=[source])
    PilotUpdateFactory(pilot=pilot, publication_status=PublicationStatus.DRAFT, title="Draft step", sources=[source])

    context = pilot_page_context(pilot, pilot.updates.all())

    assert context["pilot"] == pilot
    assert [entry["update"].title for entry in context["entries"]] == ["Draft step"]
    assert context["sources"] == [source]
    assert context["entries"][0]["citations"][0]["number"] == 1


# --- drafts appear nowhere -------------------------------------------------------------------------


def test_a_draft_update_or_pilot_appears_on_no_page(client, page):
    ncl = Pilot.objects.get(slug=NCL)
    PilotUpdateFactory(
        pilot=ncl, slug="secret-update", title="Secret draft update", publication_status=PublicationStatus.DRAFT
    )
    draft_pilot = PilotFactory(
        slug="secret-pilot", title="Secret draft pilot", publication_status=PublicationStatus.DRAFT
    )
    PilotParticipantFactory(pilot=draft_pilot, authority=ncl.authorities.get(slug="camden"))
    PilotUpdateFactory(pilot=draft_pilot, title="Published update of a secret pilot")
    withdrawn = PilotUpdateFactory(
        pilot=ncl, title="Withdrawn secret update", publication_status=PublicationStatus.WITHDRAWN
    )

    for url in [
        "/pilots/",
        f"/pilots/{NCL}/",
        "/timeline/",
        "/timeline/?pilot=" + NCL,
        "/timeline/?borough=camden",
        "/timeline/?year=2019",
        "/pilots/?borough=camden",
    ]:
        content = client.get(url).content.decode()
        assert "Secret draft" not in content, url
        assert "secret-pilot" not in content, url
        assert "secret pilot" not in content, url
        assert withdrawn.title not in content, url
    page("/pilots/secret-pilot/", status=404)
    page("/timeline/?pilot=secret-pilot", status=400)


def test_a_draft_source_is_not_shown(page):
    ncl = Pilot.objects.get(slug=NCL)
    draft_source = SourceFactory(title="Unpublished source", publication_status=PublicationStatus.DRAFT)
    ncl.sources.add(draft_source)
    ncl.updates.get(slug="announced").sources.add(draft_source)

    assert "Unpublished source" not in page(f"/pilots/{NCL}/").words
    assert "Unpublished source" not in page("/timeline/").words


# --- /timeline/ ------------------------------------------------------------------------------------


def test_the_timeline_merges_events_and_updates_oldest_first(page):
    document = page("/timeline/")
    ids = timeline_ids(document)

    total = PilotUpdate.objects.public().count() + TimelineEvent.objects.public().count()

    assert ids[0] == "event-london-health-improvement-board-set-up"  # 2011
    assert ids.index("event-five-devolution-pilots-announced") < ids.index(f"update-{HACKNEY}-announced")
    assert ids.index("event-london-health-and-care-collaboration-agreement") < ids.index(f"update-{HACKNEY}-announced")
    assert len(ids) == 30
    assert len(document.find_all("h1")) == 1
    assert document.find(id="results-count").words.startswith(f"{total} entries")
    last_page = page(f"/timeline/?page={-(-total // 30)}")
    assert timeline_ids(last_page)[-1].startswith("update-")  # undated updates come last


def test_timeline_entries_show_their_date_as_precise_as_the_source_with_the_key_said_once(page):
    document = page("/timeline/")
    entry = document.find("li", id="event-london-health-board-first-meets")

    assert entry.find(cls="app-timeline__date").words == "Date: May 2013"
    assert entry.find("time").attrs["datetime"] == "2013-05"
    event = TimelineEvent.objects.get(slug="london-health-board-first-meets")
    sources = entry.find(cls="app-timeline__sources").words
    assert sources.startswith("Sources: ") or sources.startswith("Source: ")
    assert all(title in sources for title in event.sources.values_list("title", flat=True))
    update = page("/timeline/?year=2016").find("li", id=f"update-{NCL}-plans-2016")
    assert update.find(cls="app-timeline__date").words == "Date: 2016"
    undated = page(f"/timeline/?pilot={NCL}").find("li", id=f"update-{NCL}-icb-estates-investment")
    assert undated.find(cls="app-timeline__date").words == "Date: Not recorded"
    # The precision is explained once, in a key, not on every entry.
    assert "date known to the" not in document.words
    assert len(document.find_all(id="date-key")) == 1
    assert "only a month (December 2015)" in document.find(id="date-key").words


def test_each_timeline_entry_is_one_link(page):
    document = page("/timeline/")
    for item in document.find_all("li", cls="app-timeline__item"):
        links = item.find_all("a")
        assert len(links) == 1, item.attrs["id"]
    update = document.find("li", id=f"update-{NCL}-plans-2016")
    assert update.find("a").attrs["href"] == f"/pilots/{NCL}/#update-plans-2016"


def test_the_timeline_is_grouped_by_year_with_jump_links(page):
    document = page("/timeline/")
    headings = [heading.words for heading in document.find_all("h3", cls="app-timeline-year__heading")]
    assert headings[0] == "2013" or headings[0].isdigit()
    assert headings == sorted(set(headings), key=lambda year: (not year.isdigit(), year))
    jumps = [link.attrs["href"] for link in document.find(cls="app-timeline-years").find_all("a")]
    assert jumps == [f"#{heading.attrs['id']}" for heading in document.find_all("h3", cls="app-timeline-year__heading")]
    assert "#year-2015" in jumps


@pytest.fixture
def whole_timeline(monkeypatch):
    """The timeline on one page: the shipped data alone is more than one page of 30."""
    import portal.views.pilots

    monkeypatch.setattr(portal.views.pilots, "TIMELINE_PAGE_SIZE", 1000)


def test_a_pilot_filter_shows_its_updates_and_the_events_linked_to_it(page, whole_timeline):
    ncl = Pilot.objects.get(slug=NCL)
    linked = TimelineEventFactory(happened_on=datetime.date(2016, 1, 1))
    linked.pilots.add(ncl)
    other = TimelineEventFactory(happened_on=datetime.date(2016, 1, 1))
    other.pilots.add(Pilot.objects.get(slug=HACKNEY))

    ids = timeline_ids(page(f"/timeline/?pilot={NCL}"))

    updates = PilotUpdate.objects.public().filter(pilot=ncl)
    assert sorted(i for i in ids if i.startswith("update-")) == sorted(
        f"update-{NCL}-{slug}" for slug in updates.values_list("slug", flat=True)
    )
    events = {f"event-{slug}" for slug in ncl.timeline_events.public().values_list("slug", flat=True)}
    assert {i for i in ids if i.startswith("event-")} == events and f"event-{linked.slug}" in events
    assert f"event-{other.slug}" not in ids
    # In date order: after the 2015 announcement, before the update of the same day (events first).
    assert ids.index(f"update-{NCL}-announced") < ids.index(f"event-{linked.slug}")
    assert ids.index(f"event-{linked.slug}") < ids.index(f"update-{NCL}-plans-2016")


def test_a_borough_filter_shows_its_pilots_updates_its_events_and_london_wide_ones(page, whole_timeline):
    haringey = LocalAuthority.objects.get(slug="haringey")
    linked = TimelineEventFactory()
    linked.authorities.add(haringey)
    london_wide = TimelineEventFactory(london_wide=True)
    elsewhere = TimelineEventFactory()
    elsewhere.authorities.add(LocalAuthority.objects.get(slug="hackney"))

    ids = timeline_ids(page("/timeline/?borough=haringey"))

    updates = [i for i in ids if i.startswith("update-")]
    assert len(updates) == PilotUpdate.objects.public().filter(pilot__slug__in=[NCL, HARINGEY]).count()
    assert all(i.startswith((f"update-{NCL}-", f"update-{HARINGEY}-")) for i in updates)
    assert f"event-{linked.slug}" in ids and f"event-{london_wide.slug}" in ids
    assert f"event-{elsewhere.slug}" not in ids


def test_the_year_filter_applies_to_events_and_updates(page):
    ids = timeline_ids(page("/timeline/?year=2017"))

    assert "event-2017-devolution-deal" in ids
    assert f"update-{NCL}-outline-business-case-2017-11" in ids
    assert f"update-{HACKNEY}-announced" not in ids


def test_the_timeline_download_link_carries_the_filters(page):
    document = page("/timeline/?borough=haringey&year=2016&page=1")
    link = next(a for a in document.find_all("a") if a.words == "Download this list (CSV)")

    assert link.attrs["href"].startswith("/data/timeline.csv?")
    assert "borough=haringey" in link.attrs["href"] and "year=2016" in link.attrs["href"]
    assert "page" not in link.attrs["href"]


@pytest.mark.parametrize(
    "query",
    [
        "year=abc",
        "year=99999",
        "pilot=no-such-pilot",
        "pilot=%00",
        "borough=nowhere",
        "borough=%ED%A0%80",
        "year=" + "2" * 5000,
        "pilot=" + "p" * 5000,
    ],
)
def test_bad_timeline_filters_are_a_400(page, query):
    document = page(f"/timeline/?{query}", status=400)

    assert document.find(cls="govuk-error-summary")
    assert timeline_ids(document) == []


@pytest.mark.parametrize("number", ["0", "-1", "99999999", "abc", "9", "1.5", "%00", "9" * 5000])
def test_bad_page_numbers_are_a_404(page, number):
    page(f"/timeline/?page={number}", status=404)


def test_the_timeline_paginates_30_at_a_time_and_keeps_the_filters():
    grow_data(times=2)  # 16 events and 40 updates in 2019, beside the shipped ones
    in_2019 = TimelineEvent.objects.public().filter(happened_on__year=2019).count() + (
        PilotUpdate.objects.public().filter(happened_on__year=2019).count()
    )
    client = Client()
    first = parse_html(client.get("/timeline/?year=2019").content)
    assert len(timeline_ids(first)) == 30
    next_link = first.find("div", cls="govuk-pagination__next").find("a").attrs["href"]
    assert next_link == "?year=2019&page=2"
    second = parse_html(client.get("/timeline/" + next_link).content)
    assert set(timeline_ids(first)).isdisjoint(timeline_ids(second))
    assert len(timeline_ids(second)) == min(30, in_2019 - 30)
    assert f"page 2 of {-(-in_2019 // 30)}" in second.find("title").words


def test_page_titles_are_unique(page):
    titles = [page(url).find("title").words for url in ["/pilots/", "/timeline/"]] + [
        page(f"/pilots/{slug}/").find("title").words for slug in Pilot.objects.values_list("slug", flat=True)
    ]
    assert len(set(titles)) == len(titles)
    for url in ["/pilots/", "/timeline/", f"/pilots/{NCL}/"]:
        description = next(m for m in page(url).find_all("meta") if m.attrs.get("name") == "description")
        assert len(description.attrs["content"]) > 50


def test_no_inline_styles(client):
    for url in ["/pilots/", "/timeline/", f"/pilots/{NCL}/", "/pilots/?ics=XYZ"]:
        assert " style=" not in client.get(url).content.decode(), url


def test_text_is_escaped(page):
    ncl = Pilot.objects.get(slug=NCL)
    PilotUpdateFactory(
        pilot=ncl,
        slug="escaping",
        title="<script>alert(1)</script>",
        body="Line one <b>bold</b>\n\nLine two",
        happened_on=datetime.date(2018, 1, 1),
        happened_on_precision="year",
    )
    document = page(f"/pilots/{NCL}/")
    item = document.find("li", id="update-escaping")

    assert not item.find_all("script") and not item.find_all("b")
    assert item.find("h3").words == "<script>alert(1)</script>"
    assert [p.words for p in item.find(cls="app-timeline__body").find_all("p")] == ["Line one <b>bold</b>", "Line two"]


# --- query counts ----------------------------------------------------------------------------------

PAGES = [
    "/pilots/",
    "/pilots/?ics=NCL&theme=estates",
    "/pilots/?borough=haringey",
    f"/pilots/{NCL}/",
    f"/pilots/{HACKNEY}/",
    "/timeline/",
    "/timeline/?year=2017",
    f"/timeline/?pilot={NCL}",
    "/timeline/?borough=haringey",
]


def test_query_counts_do_not_grow_with_the_data(count_queries, capsys):
    cache.clear()
    before = {url: count_queries(url) for url in PAGES}

    grow_data(times=20)
    cache.clear()
    after = {url: count_queries(url) for url in PAGES}

    with capsys.disabled():
        print("\nqueries per page (shipped -> grown x20):", {url: (before[url], after[url]) for url in PAGES})
    assert after == before


# --- At scale: pagination of /pilots/, the timeline's capped count, the feed's order -------------


def test_the_pilot_list_shows_25_a_page_and_keeps_the_filters(page):
    for number in range(30):
        PilotFactory(title=f"Zz pilot {number:02}", theme="estates")
    first = page("/pilots/?theme=estates")
    assert len(listed_pilot_slugs(first)) == 25
    heading = first.find("h2", id="results-count").words
    assert heading.startswith(f"{Pilot.objects.public().filter(theme='estates').count()} pilots")
    next_link = first.find("div", cls="govuk-pagination__next").find("a").attrs["href"]
    assert next_link == "?theme=estates&page=2"
    second = page("/pilots/" + next_link)
    assert set(listed_pilot_slugs(first)).isdisjoint(listed_pilot_slugs(second))
    assert "page 2 of 2" in second.find("title").words
    # The CSV link is the whole filtered list, never one page of it.
    csv_links = re.findall(r'href="([^"]*pilots\.csv[^"]*)"', Client().get("/pilots/" + next_link).content.decode())
    assert csv_links and all("page=" not in link and "theme=estates" in link for link in csv_links)


@pytest.mark.parametrize("number", ["0", "-1", "99", "abc", "1.5"])
def test_bad_pilot_list_page_numbers_are_a_404(page, number):
    page(f"/pilots/?page={number}", status=404)


def test_past_the_count_cap_the_timeline_says_more_than_and_pages_with_next(page, monkeypatch):
    import portal.views.pilots

    monkeypatch.setattr(portal.views.pilots, "TIMELINE_COUNT_CAP", 20)
    grow_data(times=2)
    first = page("/timeline/")
    assert first.find("h2", id="results-count").words.startswith("More than 20 entries")
    assert len(timeline_ids(first)) == 30
    assert first.find("div", cls="govuk-pagination__next").find("a").attrs["href"] == "?page=2"
    second = page("/timeline/?page=2")
    assert set(timeline_ids(first)).isdisjoint(timeline_ids(second))
    assert second.find("div", cls="govuk-pagination__prev")
    page("/timeline/?page=999", status=404)


@pytest.mark.parametrize("number", ["9223372036854775807", "307445734561825861", str(10**30)])
def test_past_the_count_cap_a_huge_timeline_page_number_is_a_404(page, monkeypatch, number):
    import portal.views.pilots

    monkeypatch.setattr(portal.views.pilots, "TIMELINE_COUNT_CAP", 20)  # the path taken past 10,000 entries
    assert page("/timeline/").find("h2", id="results-count").words.startswith("More than 20 entries")

    page(f"/timeline/?page={number}", status=404)


def test_the_timeline_is_oldest_first_undated_last_events_before_updates_on_the_same_day(page, whole_timeline):
    day = datetime.date(2019, 6, 1)
    update = PilotUpdateFactory(happened_on=day, happened_on_precision="day")
    event = TimelineEventFactory(happened_on=day, happened_on_precision="day")
    undated = PilotUpdateFactory(happened_on=None, happened_on_precision="")

    ids = timeline_ids(page("/timeline/"))

    assert ids.index(f"event-{event.slug}") + 1 == ids.index(f"update-{update.pilot.slug}-{update.slug}")
    assert ids[-1] == f"update-{undated.pilot.slug}-{undated.slug}"
    assert ids.index("event-five-devolution-pilots-announced") < ids.index(f"event-{event.slug}")


def test_filters_in_force_are_tags_that_each_remove_one(client):
    """Issue 13: the active filters are links that drop one parameter (and the page), no JavaScript needed;
    the form itself sits behind a "Filter" control, open only when a filter is wrong."""
    content = client.get("/pilots/?ics=nel&theme=&status=announced&page=1").content.decode()
    assert '<summary class="govuk-details__summary"><span class="govuk-details__summary-text">Filter</span>' in content
    assert '<details class="govuk-details app-filter-details">' in content
    assert 'href="/pilots/?status=announced"' in content
    assert 'href="/pilots/?ics=nel"' in content
    assert "Remove filter </span>Integrated care system: North East London" in content
    wrong = client.get("/pilots/?ics=zzz").content.decode()
    assert '<details class="govuk-details app-filter-details" open>' in wrong


# --- Status with its evidence, and the shared developments -------------------------------------------


@pytest.mark.parametrize("slug", [HACKNEY, NCL, HARINGEY])
def test_the_pilot_page_says_the_status_as_of_when_and_on_whose_word(page, slug):
    pilot = Pilot.objects.select_related("status_source").get(slug=slug)
    document = page(f"/pilots/{slug}/")

    as_of = document.find(id="status-as-of")
    assert as_of.words == pilot.status_as_of_display
    assert (
        as_of.find("time").attrs["datetime"]
        == {
            "day": pilot.status_as_of.isoformat(),
            "month": pilot.status_as_of.isoformat()[:7],
            "year": str(pilot.status_as_of.year),
        }[pilot.status_as_of_precision]
    )
    source_link = document.find(id="status-source").find("a")
    assert source_link.attrs["href"] == f"/sources/{pilot.status_source.slug}/"
    assert source_link.words == pilot.status_source.title
    assert pilot.status_evidence[:80] in document.find_all("p", cls="govuk-body")[0].words or any(
        pilot.status_evidence[:80] in p.words for p in document.find_all("p")
    )


def test_the_pilot_page_says_plainly_when_the_status_evidence_is_over_two_years_old(page):
    """Haringey's latest evidence is from 2016; Lewisham's from June 2025 (today is later than both)."""
    warning = page(f"/pilots/{HARINGEY}/").find(id="status-evidence-old")
    assert warning and "more than 2 years old" in warning.words and "2016" in warning.words
    assert not page("/pilots/lewisham-physical-and-mental-health-integration/").find_all(id="status-evidence-old")


def test_a_year_only_status_date_is_old_only_once_the_whole_year_is_two_years_past():
    assert not is_older_than_years(datetime.date(2024, 1, 1), "year", 2, datetime.date(2026, 12, 31))
    assert is_older_than_years(datetime.date(2024, 1, 1), "year", 2, datetime.date(2027, 1, 1))
    assert is_older_than_years(datetime.date(2024, 1, 10), "day", 2, datetime.date(2026, 12, 1))
    assert not is_older_than_years(datetime.date(2024, 12, 1), "month", 2, datetime.date(2026, 12, 31))


def test_a_london_wide_event_shows_on_the_page_of_every_pilot_it_is_linked_to(page):
    event = TimelineEvent.objects.get(slug="london-councils-five-ps")
    linked = set(event.pilots.values_list("slug", flat=True))

    assert len(linked) == 3 and event.london_wide
    for slug in Pilot.objects.values_list("slug", flat=True):
        section = page(f"/pilots/{slug}/").find("section", id="events")
        shown = {li.attrs["id"] for li in section.find_all("li", cls="app-event-list__item")}
        assert ("event-london-councils-five-ps" in shown) == (slug in linked), slug


def test_an_event_on_a_pilot_page_shows_its_note_and_sources(page):
    section = page(f"/pilots/{HACKNEY}/").find("section", id="events")
    item = section.find("li", id="event-five-devolution-pilots-announced")
    event = TimelineEvent.objects.get(slug="five-devolution-pilots-announced")

    assert event.note[:60] in item.find(cls="govuk-inset-text").words
    hrefs = {a.attrs["href"] for a in item.find_all("a")}
    assert {f"/sources/{slug}/" for slug in event.sources.public().values_list("slug", flat=True)} <= hrefs
    assert item.find("time").attrs["datetime"] == "2015-12-15"


def test_the_old_five_ps_copies_are_not_on_any_pilot_page(page):
    for slug in (HACKNEY, "lewisham-physical-and-mental-health-integration"):
        assert not page(f"/pilots/{slug}/").find_all(id="update-london-wide-five-ps-2022")
