"""The devolution pilots and their tracking record."""

from concurrency.fields import IntegerVersionField
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from boroughs.models import IntegratedCareSystem, LocalAuthority
from core.dates import DatePrecision, format_partial_date, partial_date_constraint, validate_partial_date
from core.models import PublicQuerySet, Publishable, slug_start_constraint, validate_slug_start
from sources.models import Source


class Pilot(Publishable):
    class Theme(models.TextChoices):
        INTEGRATION = "integration", "Health and care integration"
        ESTATES = "estates", "NHS estates"
        PREVENTION = "prevention", "Prevention"
        ACCOUNTABLE_CARE = "accountable_care", "Accountable care"

    class Status(models.TextChoices):
        """Only states a source can support: announced (2015), under way (later reports)."""

        ANNOUNCED = "announced", "Announced"
        UNDER_WAY = "under_way", "Under way"
        COMPLETED = "completed", "Completed"
        DISCONTINUED = "discontinued", "Discontinued"

    slug = models.SlugField(max_length=100, unique=True, validators=[validate_slug_start])
    title = models.CharField(max_length=200)
    theme = models.CharField(max_length=20, choices=Theme.choices, db_index=True)
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        db_index=True,
        help_text="The latest status a source supports. Record each change as a pilot update too.",
    )
    status_as_of = models.DateField(
        null=True, blank=True, help_text="The date of the latest evidence for the status, as precise as its source."
    )
    status_as_of_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    status_source = models.ForeignKey(
        Source,
        verbose_name="status source",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pilot_statuses",
        help_text="The source whose word the status rests on.",
    )
    status_evidence = models.TextField(
        blank=True, help_text="In your own words: what that source says about where the pilot stands."
    )
    announced_on = models.DateField(null=True, blank=True, db_index=True)
    announced_on_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    summary = models.TextField(help_text="Two or three plain sentences, in your own words.")
    aims = models.TextField(blank=True, help_text="One aim per line, each stated by a source.")
    authorities = models.ManyToManyField(
        LocalAuthority, through="PilotParticipant", related_name="pilots", verbose_name="participating authorities"
    )
    sources = models.ManyToManyField(Source, related_name="pilots")

    version = IntegerVersionField()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["title"]
        constraints = [
            partial_date_constraint("announced_on", "pilot"),
            partial_date_constraint("status_as_of", "pilot"),
            slug_start_constraint("pilot"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pilots:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        validate_partial_date(self.announced_on, self.announced_on_precision, "announced_on")
        validate_partial_date(self.status_as_of, self.status_as_of_precision, "status_as_of")

    @property
    def announced_on_display(self) -> str:
        return format_partial_date(self.announced_on, self.announced_on_precision)

    @property
    def status_as_of_display(self) -> str:
        return format_partial_date(self.status_as_of, self.status_as_of_precision)

    @property
    def aims_list(self) -> list[str]:
        return [line.strip() for line in self.aims.splitlines() if line.strip()]


class PilotParticipant(models.Model):
    """An authority taking part in a pilot; its own history records who joined or left when."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="participants")
    authority = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="pilot_participations")
    role = models.CharField(max_length=100, blank=True, help_text="Only where a source states the role.")

    history = HistoricalRecords()

    publication_paths = ("pilot__publication_status",)  # public with its pilot
    objects = PublicQuerySet.as_manager()

    class Meta:
        ordering = ["authority__name"]
        constraints = [models.UniqueConstraint(fields=["pilot", "authority"], name="pilot_participant_once")]

    def __str__(self) -> str:
        return f"{self.authority} in {self.pilot}"


class PilotUpdate(Publishable):
    """Something that happened to a pilot, with its date as precise as the source allows."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="updates")
    slug = models.SlugField(
        max_length=120, help_text="Identifier, unique within the pilot.", validators=[validate_slug_start]
    )
    happened_on = models.DateField(null=True, blank=True, help_text="Leave empty if the source gives no date.")
    happened_on_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="What happened, in your own words. Plain text.")
    status_after = models.CharField(
        max_length=20,
        choices=Pilot.Status.choices,
        blank=True,
        help_text="The pilot's status after this, if the update sets or changes it.",
    )
    quotation = models.TextField(blank=True, help_text="A short exact quotation from the source, if any.")
    quotation_by = models.CharField(max_length=200, blank=True, help_text="Who said the quotation.")
    sources = models.ManyToManyField(Source, related_name="pilot_updates")

    version = IntegerVersionField()
    history = HistoricalRecords(m2m_fields=["sources"])

    publication_paths = ("publication_status", "pilot__publication_status")  # a published update of a published pilot

    class Meta:
        ordering = ["-happened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "slug"], name="pilot_update_slug_per_pilot"),
            partial_date_constraint("happened_on", "pilotupdate"),
            slug_start_constraint("pilotupdate"),
        ]
        indexes = [
            models.Index(fields=["pilot", "happened_on"], name="pilotupdate_pilot_date"),
            models.Index(fields=["publication_status", "happened_on", "id"], name="pilotupdate_pub_date"),
            # Counting the public updates (the data hub) reads this index alone, pilot by published pilot.
            models.Index(fields=["publication_status", "pilot"], name="pilotupdate_pub_pilot"),
            # Also "pilotupdate_pub_newest" (publication_status, happened_on DESC NULLS LAST, id DESC),
            # added by migration 0002 per database (SQLite has no NULLS LAST in an index), and the
            # partial indexes of the timeline's and the feeds' orders, added by migration 0006 in SQL.
        ]

    def __str__(self) -> str:
        return f"{self.pilot}: {self.title}"

    def get_absolute_url(self) -> str:
        return f"{self.pilot.get_absolute_url()}#update-{self.slug}"

    def clean(self) -> None:
        validate_partial_date(self.happened_on, self.happened_on_precision, "happened_on")

    @property
    def happened_on_display(self) -> str:
        return format_partial_date(self.happened_on, self.happened_on_precision)


class TimelineEvent(Publishable):
    """A development that concerns London or several areas (the December 2015 agreement, the 2017
    memorandum, the ICBs of July 2022), recorded once and linked to every pilot, authority and ICS it
    concerns: it shows on each of their pages, feeds and exports, never as a copy per pilot."""

    slug = models.SlugField(max_length=120, unique=True, validators=[validate_slug_start])
    title = models.CharField(max_length=200)
    happened_on = models.DateField(db_index=True)
    happened_on_precision = models.CharField(max_length=5, choices=DatePrecision.choices)
    description = models.TextField(help_text="In your own words.")
    note = models.TextField(
        blank=True,
        help_text="Where sources disagree (a date, who signed): say so, naming both. Shown beside the event.",
    )
    london_wide = models.BooleanField(
        "London-wide",
        default=False,
        db_index=True,
        help_text="It concerns every borough (shown on every borough page).",
    )
    pilots = models.ManyToManyField(Pilot, blank=True, related_name="timeline_events")
    authorities = models.ManyToManyField(
        LocalAuthority, blank=True, related_name="timeline_events", verbose_name="authorities"
    )
    integrated_care_systems = models.ManyToManyField(
        IntegratedCareSystem, blank=True, related_name="timeline_events", verbose_name="integrated care systems"
    )
    sources = models.ManyToManyField(Source, related_name="timeline_events")

    version = IntegerVersionField()
    history = HistoricalRecords(m2m_fields=["sources", "pilots", "authorities", "integrated_care_systems"])

    class Meta:
        ordering = ["happened_on", "title"]
        constraints = [partial_date_constraint("happened_on", "timelineevent"), slug_start_constraint("timelineevent")]

    def __str__(self) -> str:
        return f"{self.happened_on_display}: {self.title}"

    def get_absolute_url(self) -> str:
        return f"{reverse('pilots:timeline')}#event-{self.slug}"

    def clean(self) -> None:
        validate_partial_date(self.happened_on, self.happened_on_precision, "happened_on")

    @property
    def happened_on_display(self) -> str:
        return format_partial_date(self.happened_on, self.happened_on_precision)


class TimelineEntryQuerySet(PublicQuerySet):
    def public(self) -> "TimelineEntryQuerySet":
        """An entry is public when its event or its update is, each by its own model's rule: the view's
        ``public`` column, which works that rule out in each half of the view (migration 0006; checked
        against ``public_condition`` by tests/pilots/test_timeline_view.py)."""
        return self.filter(public=True)


class TimelineEntry(models.Model):
    """One line of the timeline: a timeline event or a pilot update, read from the database view
    ``pilots_timelineentry`` (migrations 0005 and 0006), so that the two are one queryset the timeline
    page and its dataset filter, order and page through alike. Read-only; it has no history of its own."""

    class Kind(models.TextChoices):
        EVENT = "event", "London-wide event"
        UPDATE = "update", "Pilot update"

    # Unique across both kinds: the update's id, or the event's id minus 2**40, so that on the same day
    # every event comes before every update in id order (the timeline's order, undated, happened_on, id).
    id = models.BigIntegerField(primary_key=True)
    kind = models.CharField(max_length=6, choices=Kind.choices)
    event = models.ForeignKey(TimelineEvent, null=True, on_delete=models.DO_NOTHING, related_name="+")
    update = models.ForeignKey(PilotUpdate, null=True, on_delete=models.DO_NOTHING, related_name="+")
    pilot = models.ForeignKey(Pilot, null=True, on_delete=models.DO_NOTHING, related_name="+")  # an update's
    slug = models.SlugField(max_length=120)
    title = models.CharField(max_length=200)
    text = models.TextField()
    happened_on = models.DateField(null=True)
    happened_on_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    public = models.BooleanField()  # the record is public by its model's rule (see ``public()``)
    undated = models.PositiveSmallIntegerField()  # 1 for an update without a date: sorts after the dated

    objects = TimelineEntryQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "pilots_timelineentry"
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return self.title

    @property
    def record_id(self) -> int:
        return self.event_id if self.kind == self.Kind.EVENT else self.update_id
