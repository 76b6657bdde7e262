"""Rules shared by the editable records of every app: publication state and http(s)-only links."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PublishableQuerySet(models.QuerySet):
    def published(self) -> "PublishableQuerySet":
        return self.filter(publication_status=PublicationStatus.PUBLISHED)


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

    objects = PublishableQuerySet.as_manager()

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
