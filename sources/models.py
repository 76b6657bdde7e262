"""Sources are first-class: every public fact on the portal points to at least one."""

from concurrency.fields import IntegerVersionField
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.dates import DatePrecision, format_partial_date, partial_date_constraint, validate_partial_date
from core.models import (
    PublicationStatus,
    Publishable,
    slug_start_constraint,
    validate_slug_start,
    web_url_constraint,
    web_url_validator,
)


class Source(Publishable):
    class Kind(models.TextChoices):
        NEWS_REPORT = "news_report", "News report"
        BLOG_POST = "blog_post", "Blog post"
        OPINION_ARTICLE = "opinion_article", "Opinion article"
        AGREEMENT = "agreement", "Agreement"
        REPORT = "report", "Report"
        PRESS_RELEASE = "press_release", "Press release"
        WEB_PAGE = "web_page", "Web page"
        MEETING_PAPERS = "meeting_papers", "Meeting papers"
        REFERENCE_LIST = "reference_list", "Reference list"

    slug = models.SlugField(
        max_length=120,
        unique=True,
        validators=[validate_slug_start],
        help_text="Stable identifier used in links and downloads. Never reuse one.",
    )
    title = models.CharField(max_length=300, help_text="The title exactly as the source gives it.")
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    author = models.CharField(max_length=200, blank=True, help_text="Leave empty if the source names no author.")
    author_role = models.CharField(max_length=200, blank=True, help_text="The author's role, as the source states it.")
    publisher = models.CharField(max_length=200, blank=True, help_text="Leave empty if not known.")
    published_on = models.DateField(null=True, blank=True, help_text="Leave empty if the source is undated.")
    published_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, blank=True, help_text="How much of the date the source gives."
    )
    url = models.URLField(
        "web address",
        max_length=500,
        blank=True,
        validators=[web_url_validator],
        help_text="Where anyone can open it (http or https). Required before publishing; for a reference "
        "list, its publisher's page.",
    )
    summary = models.TextField(blank=True, help_text="In your own words: what the source covers.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="added by",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who added the source: an officer may edit only the drafts they added.",
    )

    version = IntegerVersionField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "title"]
        constraints = [
            partial_date_constraint("published_on", "source"),
            web_url_constraint("url", "source"),
            slug_start_constraint("source"),
            # Every published source can be opened: the public never sees one without a web address.
            models.CheckConstraint(
                condition=~models.Q(publication_status=PublicationStatus.PUBLISHED) | ~models.Q(url=""),
                name="source_published_has_url",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.published_on_display})"

    def get_absolute_url(self) -> str:
        return reverse("sources:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        validate_partial_date(self.published_on, self.published_on_precision, "published_on")
        if self.publication_status == PublicationStatus.PUBLISHED and not self.url:
            raise ValidationError({"url": "Enter the web address before publishing: anyone must be able to open it."})

    @property
    def published_on_display(self) -> str:
        return format_partial_date(self.published_on, self.published_on_precision, missing="undated")

    @property
    def attribution(self) -> str:
        """'Author (role), Publisher' as far as known."""
        who = self.author
        if who and self.author_role:
            who = f"{who}, {self.author_role}"
        return ", ".join(part for part in (who, self.publisher) if part)


class KeyFigure(Publishable):
    """A number exactly as one source states it; never rounded or converted beyond what it says."""

    class Unit(models.TextChoices):
        GBP = "gbp", "Pounds sterling"
        PERCENT = "percent", "Per cent"
        PEOPLE = "people", "People"
        COUNT = "count", "Count"

    class Qualifier(models.TextChoices):
        OVER = "over", "over"
        ALMOST = "almost", "almost"
        UP_TO = "up_to", "up to"
        APPROXIMATELY = "approximately", "approximately"

    slug = models.SlugField(max_length=120, unique=True, validators=[validate_slug_start])
    label = models.CharField(max_length=300, help_text="What is counted, in plain English.")
    value = models.DecimalField(
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The number, only if the source gives one (leave empty for 'a third').",
    )
    value_qualifier = models.CharField(
        max_length=15,
        choices=Qualifier.choices,
        blank=True,
        help_text="The source's own qualifier of the number ('over 44 per cent': over), if any.",
    )
    value_as_stated = models.CharField(max_length=100, help_text="Exactly as the source words it, e.g. '£2.3 billion'.")
    unit = models.CharField(max_length=10, choices=Unit.choices)
    period = models.CharField(max_length=100, blank=True, help_text="The period or date it refers to, as stated.")
    note = models.TextField(blank=True, help_text="Context a reader needs, in your own words.")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="key_figures")

    version = IntegerVersionField()
    history = HistoricalRecords()

    publication_paths = ("publication_status", "source__publication_status")  # a published figure of a published source

    class Meta:
        ordering = ["label"]
        constraints = [slug_start_constraint("keyfigure")]

    def __str__(self) -> str:
        return f"{self.label}: {self.value_as_stated}"


class GlossaryTerm(Publishable):
    """A word residents meet on the portal (ICS, place partnership, Five Ps...), explained in our own
    words with the source that explains it."""

    slug = models.SlugField(
        max_length=100, unique=True, help_text="Used in links: /glossary/#<slug>.", validators=[validate_slug_start]
    )
    term = models.CharField(max_length=150, unique=True)
    abbreviation = models.CharField(max_length=20, blank=True, help_text="e.g. ICB; leave empty if none.")
    definition = models.TextField(help_text="One to three plain sentences, in your own words.")
    sources = models.ManyToManyField(Source, related_name="glossary_terms")

    version = IntegerVersionField()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["term"]
        constraints = [slug_start_constraint("glossaryterm")]

    def __str__(self) -> str:
        return f"{self.term} ({self.abbreviation})" if self.abbreviation else self.term

    def get_absolute_url(self) -> str:
        return f"{reverse('portal:glossary')}#{self.slug}"
