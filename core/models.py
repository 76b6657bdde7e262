"""Rules shared by the editable records of every app: publication state, http(s)-only links, and slugs
that a spreadsheet never reads as a formula."""

from django.conf import settings
from django.core.validators import RegexValidator, URLValidator
from django.db import models


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


def public_rule(model: type[models.Model]) -> dict[str, str]:
    """What makes a row of ``model`` public: each publication state it lists in ``publication_paths``
    (its own, its parents') and the value that state must have. A model that lists none is public in full.

    The one statement of the rule: ``public()`` applies it to today's tables, the point-in-time exports
    to the history (``datasets.query``)."""
    return dict.fromkeys(model.publication_paths, PublicationStatus.PUBLISHED)


def public_condition(model: type[models.Model], via: str = "") -> models.Q:
    """``public_rule`` as a condition; ``via`` reaches the model through a relation
    (``public_condition(Source, via="source")`` on a table of links to sources)."""
    prefix = f"{via}__" if via else ""
    return models.Q(**{f"{prefix}{path}": value for path, value in public_rule(model).items()})


class PublicQuerySet(models.QuerySet):
    """The records of a model the public may see: pages, feeds, search, sitemaps and exports all start
    from ``public()``."""

    def public(self) -> "PublicQuerySet":
        return self.filter(public_condition(self.model))


class Publishable(models.Model):
    """A record the public sees only once an editor has published it."""

    publication_status = models.CharField(
        "publication status",
        max_length=10,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
        db_index=True,
        help_text="Only published records appear on the public site, feeds and downloads.",
    )
    published_at = models.DateTimeField("published at", null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="published by",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # The publication states that must all be "published" for the public to see the record; a record
    # shown only under a parent adds the parent's (``"pilot__publication_status"``).
    publication_paths: tuple[str, ...] = ("publication_status",)

    objects = PublicQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.publication_status == PublicationStatus.PUBLISHED


web_url_validator = URLValidator(schemes=["http", "https"])


def web_url_constraint(field: str, model_name: str) -> models.CheckConstraint:
    """Database rule: a link is empty or starts with http:// or https:// (no javascript: links)."""
    return models.CheckConstraint(
        condition=models.Q(**{field: ""})
        | models.Q(**{f"{field}__startswith": "http://"})
        | models.Q(**{f"{field}__startswith": "https://"}),
        name=f"{model_name}_{field}_is_web_url",
    )


# A spreadsheet reads a cell beginning with one of these as a formula. Identifiers never need
# neutralising in an export, so no slug may begin with one (SlugField already refuses all but "-").
FORMULA_STARTS = ("=", "+", "-", "@")


validate_slug_start = RegexValidator(
    r"\A[=+\-@]",
    inverse_match=True,
    message="Start the slug with a letter or a number: one beginning with =, +, - or @ would be read as a formula "
    "by spreadsheets.",
    code="slug_start",
)


def slug_start_constraint(model_name: str, field: str = "slug") -> models.CheckConstraint:
    """Database rule: the slug does not begin with a formula character (``validate_slug_start``)."""
    begins = models.Q()
    for start in FORMULA_STARTS:
        begins |= models.Q(**{f"{field}__startswith": start})
    return models.CheckConstraint(condition=~begins, name=f"{model_name}_{field}_not_formula")
