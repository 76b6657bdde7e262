"""Site search: grouped results, published records only, validated query; full text on PostgreSQL and
a simple fallback on SQLite (whichever database the suite runs on)."""

import pytest
from django.db import connection
from django.urls import reverse

from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate
from portal.search import MAX_QUERY_LENGTH, RESULTS_PER_GROUP, search
from sources.models import GlossaryTerm, Source
from tests.factories import PilotFactory, PilotUpdateFactory, SourceFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("portal:search")


def groups_of(response) -> dict:
    return {group.key: group for group in response.context["groups"]}


def slugs(group) -> set[str]:
    return {item.slug for item in group.results}


def test_empty_query_shows_the_form_only(client):
    for url in (SEARCH, f"{SEARCH}?q=", f"{SEARCH}?q=+++"):
        response = client.get(url)
        assert response.status_code == 200
        content = response.content.decode()
        assert '<label class="govuk-label govuk-label--m" for="q">' in content
        assert response.context["groups"] == []
        assert "results-count" not in content
        assert "govuk-error-summary" not in content


def test_hackney_finds_the_pilot_and_the_borough_grouped_with_counts(client):
    response = client.get(SEARCH, {"q": "Hackney"})
    assert response.status_code == 200
    groups = groups_of(response)
    assert list(groups) == ["pilots", "updates", "events", "boroughs", "ics", "places", "glossary", "sources"]
    assert "hackney-health-and-social-care-integration" in slugs(groups["pilots"])
    assert "hackney" in slugs(groups["boroughs"])
    content = response.content.decode()
    assert 'value="Hackney"' in content
    assert reverse("pilots:detail", kwargs={"slug": "hackney-health-and-social-care-integration"}) in content
    assert reverse("boroughs:detail", kwargs={"slug": "hackney"}) in content
    assert f"Pilots ({groups['pilots'].count})" in content
    assert f"Boroughs ({groups['boroughs'].count})" in content
    assert "Search results for \u2018Hackney\u2019" in content


def test_estates_finds_the_north_central_london_pilot(client):
    groups = groups_of(client.get(SEARCH, {"q": "estates"}))
    assert "north-central-london-estates" in slugs(groups["pilots"])


def test_search_finds_updates_integrated_care_systems_and_sources(client):
    groups = groups_of(client.get(SEARCH, {"q": "Welbourne"}))
    assert groups["updates"].count >= 1
    assert all(update.pilot.is_published for update in groups["updates"].results)
    groups = groups_of(client.get(SEARCH, {"q": "North Central London"}))
    assert "NCL" in {ics.code for ics in groups["ics"].results}
    groups = groups_of(client.get(SEARCH, {"q": "Healthcare collaboration"}))
    assert "oneill-2016-healthcare-collaboration" in slugs(groups["sources"])


def test_drafts_and_withdrawn_records_are_never_found(client):
    PilotFactory(title="Zanzibar draft pilot", publication_status=PublicationStatus.DRAFT)
    SourceFactory(title="Zanzibar withdrawn source", publication_status=PublicationStatus.WITHDRAWN)
    hidden_pilot = PilotFactory(title="Zanzibar hidden parent", publication_status=PublicationStatus.DRAFT)
    PilotUpdateFactory(pilot=hidden_pilot, title="Zanzibar update of a draft pilot")
    PilotUpdateFactory(title="Zanzibar draft update", publication_status=PublicationStatus.DRAFT)
    response = client.get(SEARCH, {"q": "Zanzibar"})
    assert response.status_code == 200
    assert response.context["total"] == 0
    assert "There are no matching results" in response.content.decode()


def test_each_group_is_capped_but_counts_everything(client):
    for _ in range(RESULTS_PER_GROUP + 5):
        PilotFactory(title="Quokka pilot", summary="About quokkas.")
    group = groups_of(client.get(SEARCH, {"q": "Quokka"}))["pilots"]
    assert len(group.results) == RESULTS_PER_GROUP
    assert group.count == RESULTS_PER_GROUP + 5
    assert group.truncated


@pytest.mark.parametrize(
    "query",
    ["x" * (MAX_QUERY_LENGTH + 1), "Hack\x00ney"],
    ids=["too-long", "nul-byte"],
)
def test_bad_query_is_a_400_with_an_error_summary_and_the_query_kept(client, query):
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 400
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert 'href="#q"' in content
    assert "govuk-input--error" in content
    assert f'value="{query.replace(chr(0), "")}"' in content
    assert "<title>Error: search" in content


def test_a_query_of_exactly_the_limit_is_fine(client):
    assert client.get(SEARCH, {"q": "h" * MAX_QUERY_LENGTH}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "Ærøskøbing",
        "健康",
        "🙂 Hackney",
        "naïve café",
        "\u202eHackney",
        "' OR 1=1 --",
        '"Hackney',
        "-",
        "or",
        "!!! & | :*",
        "<script>alert(1)</script>",
        "%",
        "_",
        "\\",
    ],
)
def test_odd_queries_never_fail(client, query):
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_unicode_finds_unicode(client):
    PilotFactory(title="Ærøskøbing test pilot")
    groups = groups_of(client.get(SEARCH, {"q": "Ærøskøbing"}))
    assert groups["pilots"].count == 1


def test_backend_follows_the_database():
    """Same expectations on both databases: ranked, with stems ("integrating" finds "integration") and
    every word required. PostgreSQL also takes websearch syntax ("-word" excludes)."""
    groups = {group.key: group for group in search("Hackney")}
    assert groups["pilots"].results[0].slug == "hackney-health-and-social-care-integration"
    assert search("") == []
    integrating = {group.key: group for group in search("integrating")}["pilots"]
    assert "hackney-health-and-social-care-integration" in slugs(integrating)
    both = {group.key: group for group in search("SOCIAL hackney")}["pilots"]
    assert "hackney-health-and-social-care-integration" in slugs(both)
    assert {group.key: group for group in search("hackney zzzqqq")}["pilots"].count == 0
    if connection.vendor == "postgresql":
        assert hasattr(groups["pilots"].results[0], "rank")
        excluded = {group.key: group for group in search("Hackney -budgets")}["pilots"]
        assert "hackney-health-and-social-care-integration" not in slugs(excluded)
    else:
        assert connection.vendor == "sqlite"
        # FTS5 matches the start of a word too.
        assert "lewisham" in slugs({group.key: group for group in search("Lewish")}["boroughs"])


def test_every_published_record_kind_can_be_reached(client):
    """Each result links to its own page."""
    response = client.get(SEARCH, {"q": "London"})
    content = response.content.decode()
    for group in response.context["groups"]:
        for item in group.results:
            assert f'href="{item.get_absolute_url()}"' in content
    assert Pilot.objects.public().exists() and PilotUpdate.objects.public().exists()
    assert Source.objects.public().exists()


@pytest.mark.parametrize(
    ("key", "index"),
    [
        ("pilots", "search_pilots_gin"),
        ("updates", "search_updates_gin"),
        ("sources", "search_sources_gin"),
        ("events", "search_events_gin"),
    ],
)
def test_search_is_served_by_the_index_the_migrations_create(key, index):
    """PostgreSQL: the migrations spell out each GIN index's SQL; if the search's vector drifted from
    it, PostgreSQL would read every row and the plan would not name the index. SQLite has no GIN
    indexes, and the migrations add none there."""
    from django.contrib.postgres.search import SearchQuery

    from portal.search import KINDS, search_vector

    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name = %s", [index])
            assert cursor.fetchone() is None
        return
    kind = next(kind for kind in KINDS if kind.key == key)
    matches = (
        kind.public()
        .model.objects.annotate(search=search_vector(kind.weighted_fields))
        .filter(search=SearchQuery("hackney", search_type="websearch", config="english"))
    )
    with connection.cursor() as cursor:
        # Off too: a plain index scan in the ORDER BY's btree, with the match as a filter, which the
        # planner prefers when the table's statistics say it is empty (after a live-server test flushed it).
        # A bitmap scan needs an index that serves the match itself: only the GIN index does.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = matches.explain()
    assert index in plan, plan


# --- Search that finds (issue 13): events, glossary, kinds by name, codes, typos ---------------------


def test_naylor_finds_the_timeline_event(client):
    group = groups_of(client.get(SEARCH, {"q": "Naylor"}))["events"]
    assert "naylor-report-nhs-estates" in slugs(group)
    assert f'href="{group.results[0].get_absolute_url()}"' in client.get(SEARCH, {"q": "Naylor"}).content.decode()


@pytest.mark.parametrize("query", ["ICS", "ics", "ICB", "integrated care systems"])
def test_ics_or_icb_finds_all_five_integrated_care_systems(client, query):
    group = groups_of(client.get(SEARCH, {"q": query}))["ics"]
    assert {ics.code for ics in group.results} == {"NCL", "NEL", "NWL", "SEL", "SWL"}
    assert group.count == 5


def test_an_ods_code_finds_its_integrated_care_system(client):
    group = groups_of(client.get(SEARCH, {"q": "QMJ"}))["ics"]
    assert [ics.name for ics in group.results] == ["North Central London"]


def test_a_gss_code_finds_its_borough(client):
    group = groups_of(client.get(SEARCH, {"q": "E09000012"}))["boroughs"]
    assert [authority.slug for authority in group.results] == ["hackney"]


@pytest.mark.parametrize(("query", "slug"), [("Lewisam", "lewisham"), ("hackny", "hackney"), ("Grenwich", "greenwich")])
def test_a_typo_still_finds_the_borough(client, query, slug):
    group = groups_of(client.get(SEARCH, {"q": query}))["boroughs"]
    assert slug in slugs(group)
    assert client.get(SEARCH, {"q": query}).status_code == 200


def test_published_glossary_terms_are_found_and_others_are_not(client):
    source = Source.objects.public().first()
    term = GlossaryTerm.objects.create(
        slug="place-based-partnership",
        term="Place partnership",
        definition="Councils and the NHS planning care together for one borough.",
        publication_status=PublicationStatus.PUBLISHED,
    )
    term.sources.add(source)
    GlossaryTerm.objects.create(slug="draft-term", term="Quokkanomics", definition="A draft term.")
    assert "place-based-partnership" in slugs(groups_of(client.get(SEARCH, {"q": "planning care"}))["glossary"])
    assert "place-based-partnership" in slugs(groups_of(client.get(SEARCH, {"q": "partnershp"}))["glossary"])
    assert groups_of(client.get(SEARCH, {"q": "Quokkanomics"}))["glossary"].count == 0


def test_the_index_follows_edits_and_deletions():
    """SQLite's FTS5 index is kept by triggers and PostgreSQL searches the rows themselves: either way an
    edit is found at once and a deleted record is gone."""
    pilot = PilotFactory(title="Wombat pilot")
    assert slugs({group.key: group for group in search("Wombat")}["pilots"]) == {pilot.slug}
    pilot.title = "Numbat pilot"
    pilot.save()
    assert {group.key: group for group in search("Wombat")}["pilots"].count == 0
    assert slugs({group.key: group for group in search("Numbat")}["pilots"]) == {pilot.slug}
    pilot.delete()
    assert {group.key: group for group in search("Numbat")}["pilots"].count == 0


def test_the_sqlite_index_has_the_columns_the_search_weights():
    """SQLite: each kind's FTS5 table indexes exactly the kind's fields, in weight order (bm25's weights are
    given in that order). PostgreSQL has no FTS5 tables: its migration creates none."""
    from portal.search import KINDS

    with connection.cursor() as cursor:
        for kind in KINDS:
            if connection.vendor == "sqlite":
                cursor.execute(f"SELECT * FROM {kind.fts_table} LIMIT 0")
                assert tuple(column[0] for column in cursor.description) == kind.fields
            else:
                cursor.execute("SELECT to_regclass(%s)", [kind.fts_table])
                assert cursor.fetchone()[0] is None


def test_search_query_count_does_not_grow_with_the_data(client, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(SEARCH, {"q": "Hackney"})
    for number in range(30):
        PilotFactory(title=f"Hackney extra pilot {number}")
    with CaptureQueriesContext(connection) as after:
        client.get(SEARCH, {"q": "Hackney"})
    assert len(after) == len(before)
