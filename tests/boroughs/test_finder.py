"""The borough finder (/boroughs/find/?q=) on the home page and the boroughs list: a resident types a
name or a code, as they would, and lands on the borough's page in one step."""

import pytest
from django.urls import reverse

from boroughs.selectors import find_authorities
from tests.html import main, text

pytestmark = pytest.mark.django_db

FIND = reverse("boroughs:find")


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Hackney", "hackney"),
        ("hackney", "hackney"),
        ("  HACKNEY ", "hackney"),
        ("lewisam", "lewisham"),
        ("Hackny", "hackney"),
        ("City of London", "city-of-london"),
        ("E09000003", "barnet"),
        ("e09000003", "barnet"),
        ("Kingston", "kingston-upon-thames"),
        ("Richmond", "richmond-upon-thames"),
        ("Barking & Dagenham", "barking-and-dagenham"),
        ("Royal Borough of Greenwich", "greenwich"),
    ],
)
def test_a_name_in_any_case_a_typo_or_a_gss_code_redirects_to_the_borough(client, query, slug):
    response = client.get(FIND, {"q": query})
    assert response.status_code == 302
    assert response["Location"] == reverse("boroughs:detail", kwargs={"slug": slug})


def test_several_matches_offer_a_choice(client):
    response = client.get(FIND, {"q": "Ham"})
    assert response.status_code == 200
    names = {authority.name for authority in response.context["matches"]}
    assert {"Hammersmith and Fulham", "Tower Hamlets"} <= names
    page = text(main(response))
    assert "boroughs match \N{LEFT SINGLE QUOTATION MARK}Ham\N{RIGHT SINGLE QUOTATION MARK}" in page
    assert "Choose the one you mean" in page


@pytest.mark.parametrize("query", ["zzzqqq", "!!!", "<script>", "健康"])
def test_no_match_says_so_clearly_and_lists_every_borough(client, query):
    response = client.get(FIND, {"q": query})
    assert response.status_code == 200
    page = text(main(response))
    assert "No London borough matches" in page
    assert "All 33 local authorities" in page
    assert "<script>" not in main(response)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Enter the name or GSS code"),
        ({"q": "   "}, "Enter the name or GSS code"),
        ({"q": "x" * 101}, "100 characters or fewer"),
        ({"q": "Hack\x00ney"}, "null characters"),
    ],
    ids=["missing", "blank", "too-long", "nul-byte"],
)
def test_unusable_input_is_a_400_with_the_error_and_the_list(client, params, message):
    response = client.get(FIND, params)
    assert response.status_code == 400
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert message in content
    assert 'href="#finder-q"' in content
    assert "All 33 local authorities" in text(main(response))


def test_the_finder_is_on_the_home_page_and_the_boroughs_list(client):
    for url in (reverse("portal:home"), reverse("boroughs:list")):
        content = client.get(url).content.decode()
        assert f'action="{FIND}"' in content
        assert 'id="finder-q"' in content


def test_find_authorities_prefers_the_exact_name_to_a_longer_one():
    assert [authority.slug for authority in find_authorities("Barnet")] == ["barnet"]
    assert find_authorities("") == []
