"""Rules shared by the editable records of every app (publication state, http(s)-only links, slugs that a
spreadsheet never reads as a formula) and the two rows of shared runtime state every process reads: the
page cache generation and request counts."""

import time
import uuid

from django.conf import settings
from django.core.validators import RegexValidator, URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F


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


def public_condition_as_exists(model: type[models.Model]) -> models.Q:
    """``public_rule`` as a condition that reads each parent's state in an EXISTS on the parent's primary
    key instead of a join: the same rows, but the database walks the model's own index (a date range, a
    newest-first order) and probes the parent for each row, where a join lets it start from the parents
    and read every child of each (``SELECT ... LIMIT 1`` over a million updates of 5,000 pilots)."""
    own: dict[str, str] = {}
    parents: dict[str, dict[str, str]] = {}
    for path, value in public_rule(model).items():
        relation, _, rest = path.partition("__")
        if rest:
            parents.setdefault(relation, {})[rest] = value
        else:
            own[path] = value
    condition = models.Q(**own)
    for relation, rule in parents.items():
        field = model._meta.get_field(relation)
        parent = field.related_model._base_manager.filter(pk=models.OuterRef(field.attname), **rule)
        condition &= models.Q(models.Exists(parent))
    return condition


def is_public(instance: models.Model) -> bool:
    """``public_rule`` read off one record already in memory (its parents through their relations), for
    a record fetched alongside another, where ``public()`` would cost a query."""
    for path, value in public_rule(type(instance)).items():
        target = instance
        for name in path.split("__"):
            target = getattr(target, name, None)
        if target != value:
            return False
    return True


class PublicQuerySet(models.QuerySet):
    """The records of a model the public may see: pages, feeds, search, sitemaps and exports all start
    from ``public()``."""

    def public(self, *, parents_as_exists: bool = False) -> "PublicQuerySet":
        """``parents_as_exists``: the parents' states as EXISTS, not joins (``public_condition_as_exists``),
        for a read that should follow the model's own index."""
        if parents_as_exists:
            return self.filter(public_condition_as_exists(self.model))
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


class PageCacheGenerationQuerySet(models.QuerySet):
    ROW = 1

    def current(self) -> str:
        """The token stored pages are filed under (one primary-key read)."""
        return self.filter(pk=self.ROW).values_list("token", flat=True).first() or ""

    def advance(self) -> None:
        """A new token, in the same transaction as the change that asked for it: other processes see
        it exactly when they can see the change."""
        token = uuid.uuid4().hex
        if not self.filter(pk=self.ROW).update(token=token):
            self.update_or_create(pk=self.ROW, defaults={"token": token})


class PageCacheGeneration(models.Model):
    """One row whose token changes with every change to a public record. Every process reads it
    before answering from its page cache, so no process or app server serves a page kept before an
    edit, whether or not the cache itself is shared (core/caching.py). A random token rather than a
    counter, so that a rolled-back change or a restored backup never brings an old token back."""

    token = models.CharField(max_length=32)

    objects = PageCacheGenerationQuerySet.as_manager()

    class Meta:
        verbose_name = "page cache generation"

    def __str__(self) -> str:
        return self.token


class RequestCountQuerySet(models.QuerySet):
    def count_one(self, *, key: str, expires_at: int) -> int:
        """Count one request for ``key`` (a name for one client in one time window, kept until
        ``expires_at``, seconds since the epoch); the count so far, this request included."""
        with transaction.atomic(using=self.db):
            if not self.filter(key=key).update(count=F("count") + 1):
                try:
                    with transaction.atomic(using=self.db):
                        self.create(key=key, expires_at=expires_at, count=1)
                except IntegrityError:  # another process started the count at the same moment
                    self.filter(key=key).update(count=F("count") + 1)
                else:
                    self.filter(expires_at__lt=time.time()).delete()  # windows that have ended
                    return 1
            return self.filter(key=key).values_list("count", flat=True).get()


class RequestCount(models.Model):
    """Requests counted per key, for rate limits where no shared cache is configured: the database is
    the one store every process and app server shares. A key names one client in one time window."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True, help_text="Seconds since the epoch; then the count is void.")

    objects = RequestCountQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
