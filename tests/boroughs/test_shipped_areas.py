"""The shipped areas match the checked reference codes."""

from collections import Counter

import pytest
from django.db import IntegrityError, transaction

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership

pytestmark = pytest.mark.django_db


def test_there_are_32_london_boroughs_and_the_city_of_london():
    kinds = Counter(LocalAuthority.objects.values_list("kind", flat=True))

    assert kinds == {"london_borough": 32, "city_of_london": 1}
    assert LocalAuthority.objects.get(kind="city_of_london").gss_code == "E09000001"


def test_gss_codes_run_from_e09000001_to_e09000033():
    codes = sorted(LocalAuthority.objects.values_list("gss_code", flat=True))

    assert codes == [f"E09{n:06d}" for n in range(1, 34)]


def test_ics_membership_is_5_8_8_6_6():
    sizes = {ics.code: ics.authorities.count() for ics in IntegratedCareSystem.objects.all()}

    assert sizes == {"NCL": 5, "NEL": 8, "NWL": 8, "SEL": 6, "SWL": 6}


def test_icb_codes_are_the_official_ones():
    codes = {ics.code: (ics.icb_ods_code, ics.icb_gss_code) for ics in IntegratedCareSystem.objects.all()}

    assert codes == {
        "NCL": ("QMJ", "E54000028"),
        "NEL": ("QMF", "E54000029"),
        "NWL": ("QRV", "E54000027"),
        "SEL": ("QKK", "E54000030"),
        "SWL": ("QWE", "E54000031"),
    }


def test_every_authority_is_in_one_place_partnership_of_its_own_ics():
    for authority in LocalAuthority.objects.select_related("place_partnership"):
        assert authority.place_partnership.ics_id == authority.ics_id


def test_city_and_hackney_form_one_place_and_every_other_borough_is_its_own_place():
    members = {
        place.slug: sorted(place.authorities.values_list("name", flat=True)) for place in PlacePartnership.objects.all()
    }

    assert members["city-and-hackney"] == ["City of London", "Hackney"]
    assert len(members) == 32
    assert all(len(names) == 1 for slug, names in members.items() if slug != "city-and-hackney")


def test_every_area_cites_a_source():
    for model in (LocalAuthority, IntegratedCareSystem, PlacePartnership):
        assert not model.objects.filter(sources=None).exists(), model


def test_the_database_refuses_a_second_authority_with_the_same_gss_code():
    hackney = LocalAuthority.objects.get(gss_code="E09000012")

    with pytest.raises(IntegrityError), transaction.atomic():
        LocalAuthority.objects.create(
            gss_code="E09000012",
            name="Not Hackney",
            slug="not-hackney",
            kind=LocalAuthority.Kind.LONDON_BOROUGH,
            ics=hackney.ics,
            place_partnership=hackney.place_partnership,
        )


@pytest.mark.parametrize("bad_code", ["E0900001", "E10000012", "e09000012", "E0900001X"])
def test_the_database_refuses_a_malformed_gss_code(bad_code):
    hackney = LocalAuthority.objects.get(gss_code="E09000012")

    with pytest.raises(IntegrityError), transaction.atomic():
        LocalAuthority.objects.filter(pk=hackney.pk).update(gss_code=bad_code)


def test_the_database_refuses_a_malformed_icb_ods_code():
    with pytest.raises(IntegrityError), transaction.atomic():
        IntegratedCareSystem.objects.filter(code="NCL").update(icb_ods_code="qmj")
