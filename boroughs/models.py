"""The areas: official codes (ONS GSS, NHS ODS) are first-class, validated data."""

from concurrency.fields import IntegerVersionField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import PublicQuerySet, slug_start_constraint, validate_slug_start
from sources.models import Source

LOCAL_AUTHORITY_GSS = r"^E09[0-9]{6}$"
ICB_GSS = r"^E54[0-9]{6}$"
ICB_ODS = r"^Q[A-Z0-9]{2}$"
ICS_CODE = r"^[A-Z]{3}$"


class IntegratedCareSystem(models.Model):
    """One of London's five ICSs (since 1 July 2022), with its statutory integrated care board."""

    code = models.CharField(
        max_length=3, unique=True, validators=[RegexValidator(ICS_CODE)], help_text="Short code, e.g. NCL."
    )
    name = models.CharField(max_length=100, unique=True)
    icb_name = models.CharField("ICB name", max_length=200)
    icb_ods_code = models.CharField(
        "ICB ODS code", max_length=3, unique=True, validators=[RegexValidator(ICB_ODS, "An ICB ODS code is Q + 2.")]
    )
    icb_gss_code = models.CharField(
        "ICB GSS code", max_length=9, unique=True, validators=[RegexValidator(ICB_GSS, "E54 followed by 6 digits.")]
    )
    icb_established_on = models.DateField("ICB established on")
    earlier_partnership_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    sources = models.ManyToManyField(Source, related_name="integrated_care_systems")

    version = IntegerVersionField()
    history = HistoricalRecords()

    publication_paths = ()  # every area is public
    objects = PublicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "integrated care system"
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=ICS_CODE), name="ics_code_format"),
            models.CheckConstraint(condition=models.Q(icb_ods_code__regex=ICB_ODS), name="ics_icb_ods_code_format"),
            models.CheckConstraint(condition=models.Q(icb_gss_code__regex=ICB_GSS), name="ics_icb_gss_code_format"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("boroughs:ics_detail", kwargs={"code": self.code.lower()})


class PlacePartnership(models.Model):
    """A borough-level ('place') partnership inside an ICS; City and Hackney form one place."""

    slug = models.SlugField(max_length=100, unique=True, validators=[validate_slug_start])
    name = models.CharField(max_length=200, unique=True)
    ics = models.ForeignKey(
        IntegratedCareSystem, verbose_name="ICS", on_delete=models.PROTECT, related_name="place_partnerships"
    )
    description = models.TextField(
        blank=True, help_text="Plain text for residents: who takes part and what the partnership does."
    )
    sources = models.ManyToManyField(Source, related_name="place_partnerships")

    version = IntegerVersionField()
    history = HistoricalRecords()

    publication_paths = ()  # every area is public
    objects = PublicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [slug_start_constraint("placepartnership")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("boroughs:place_detail", kwargs={"slug": self.slug})


class LocalAuthority(models.Model):
    """One of the 32 London boroughs or the City of London."""

    class Kind(models.TextChoices):
        LONDON_BOROUGH = "london_borough", "London borough"
        CITY_OF_LONDON = "city_of_london", "City of London (sui generis)"

    gss_code = models.CharField(
        "GSS code",
        max_length=9,
        unique=True,
        validators=[RegexValidator(LOCAL_AUTHORITY_GSS, "A London authority's GSS code is E09 followed by 6 digits.")],
        help_text="ONS Government Statistical Service code, e.g. E09000012.",
    )
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, validators=[validate_slug_start])
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    ics = models.ForeignKey(
        IntegratedCareSystem, verbose_name="ICS", on_delete=models.PROTECT, related_name="authorities"
    )
    place_partnership = models.ForeignKey(PlacePartnership, on_delete=models.PROTECT, related_name="authorities")
    description = models.TextField(blank=True, help_text="Plain text for residents about health and care here.")
    sources = models.ManyToManyField(Source, related_name="local_authorities")

    version = IntegerVersionField()
    history = HistoricalRecords()

    publication_paths = ()  # every area is public
    objects = PublicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "local authority"
        verbose_name_plural = "local authorities"
        constraints = [
            models.CheckConstraint(condition=models.Q(gss_code__regex=LOCAL_AUTHORITY_GSS), name="la_gss_code_format"),
            slug_start_constraint("localauthority"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("boroughs:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.place_partnership_id and self.ics_id and self.place_partnership.ics_id != self.ics_id:
            raise ValidationError({"place_partnership": "The place partnership must belong to the authority's ICS."})
