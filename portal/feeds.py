"""Atom feeds of published pilot updates and the timeline events linked to them: all of them, one
pilot's, and one borough's (its pilots' updates, London-wide events and events linked to it).

An entry's <updated> is when the record last changed (its history); the date the update or event
happened is in the entry's content, as precise as its source."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, Prefetch, QuerySet, prefetch_related_objects
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import linebreaks_filter as linebreaks
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join

from boroughs.models import LocalAuthority
from pilots import selectors
from pilots.models import Pilot, PilotUpdate, TimelineEvent
from portal.sitemaps import with_last_changed

FEED_LENGTH = 50
PORTAL_NAME = getattr(settings, "PORTAL_NAME", "London Health Devolution Portal")


def _newest_undated(updates: QuerySet[PilotUpdate]) -> list[int]:
    """The ids of the FEED_LENGTH newest of ``updates`` by the day they were published, then by id.
    No index has that order (a day in London worked out from a timestamp; on SQLite a Python function
    per row, over a second for 30,000 undated updates), so the ids come in order of the timestamp, the
    day worked out here, and the reading stops at the first day past the FEED_LENGTH-th."""
    found: list[tuple[datetime.date | None, int]] = []
    newest_first = updates.order_by(F("published_at").desc(nulls_last=True), "-id").values_list("pk", "published_at")
    for pk, published_at in newest_first.iterator(chunk_size=FEED_LENGTH * 4):
        day = timezone.localdate(published_at) if published_at else None
        if len(found) >= FEED_LENGTH and day != found[-1][0]:
            break
        found.append((day, pk))
    found.sort(key=lambda item: (item[0] is not None, item[0] or datetime.date.min, item[1]), reverse=True)
    return [pk for _, pk in found[:FEED_LENGTH]]


class PilotUpdatesFeed(Feed):
    """Every published update of every published pilot, and every published timeline event, newest first."""

    feed_type = Atom1Feed
    title = f"Devolution pilot updates \N{EN DASH} {PORTAL_NAME}"
    subtitle = "What has happened to London's health and care devolution pilots, with sources."
    author_name = PORTAL_NAME

    def link(self, obj=None) -> str:
        return reverse("pilots:timeline")

    def feed_url(self, obj=None) -> str:
        return reverse("pilots:feed")

    def updates(self, obj):
        return selectors.published_updates(parents_as_exists=True)

    def events(self, obj):
        return selectors.published_timeline_events()

    def items(self, obj=None):
        """Newest first by the day each entry happened (an undated update by the day the portal published
        it), then by id; at most FEED_LENGTH of updates and events together.

        Ordering every update by that COALESCE would sort them all, so the dated ones come in index
        order (pilotupdate_pub_newest) and the few undated ones separately, FEED_LENGTH of each, merged
        here with the newest events; then their sources and pilots in one query each (7 queries,
        whatever the feed holds; the undated ones are chosen first, see ``_newest_undated``)."""
        updates = self.updates(obj).prefetch_related(None)
        dated = with_last_changed(updates.filter(happened_on__isnull=False)).order_by(F("happened_on").desc(), "-id")
        chosen = _newest_undated(updates.filter(happened_on__isnull=True))
        undated = with_last_changed(updates.filter(pk__in=chosen)).order_by(
            TruncDate("published_at").desc(nulls_last=True), "-id"
        )
        newest_events = with_last_changed(self.events(obj).prefetch_related(None)).order_by("-happened_on", "-id")
        items = sorted(
            [
                *dated[:FEED_LENGTH],
                *undated.annotate(day=TruncDate("published_at"))[:FEED_LENGTH],
                *newest_events[:FEED_LENGTH],
            ],
            key=lambda item: (
                item.happened_on or getattr(item, "day", None) or datetime.date.min,
                isinstance(item, PilotUpdate),
                item.pk,
            ),
            reverse=True,
        )[:FEED_LENGTH]
        events = [item for item in items if isinstance(item, TimelineEvent)]
        prefetch_related_objects(
            [item for item in items if isinstance(item, PilotUpdate)], selectors.published_sources_prefetch()
        )
        prefetch_related_objects(
            events,
            selectors.published_sources_prefetch(),
            Prefetch("pilots", queryset=Pilot.objects.public().order_by("title")),
        )
        return items

    def item_title(self, item: PilotUpdate | TimelineEvent) -> str:
        if isinstance(item, TimelineEvent):
            return item.title
        return f"{item.pilot.title}: {item.title}"

    def item_description(self, item: PilotUpdate | TimelineEvent) -> str:
        """HTML (Atom type="html"): every stored text is escaped here, so nothing from the admin is markup."""
        parts = [format_html("<p><strong>{}</strong></p>", item.happened_on_display)]
        if isinstance(item, TimelineEvent):
            parts.append(linebreaks(item.description, autoescape=True))
            if item.note:
                parts.append(format_html("<p>Note: {}</p>", item.note))
            pilots = list(item.pilots.all())
            if pilots:
                parts.append(
                    format_html(
                        "<p>Concerns: {}</p>",
                        format_html_join(
                            "; ", '<a href="{}">{}</a>', ((pilot.get_absolute_url(), pilot.title) for pilot in pilots)
                        ),
                    )
                )
        else:
            parts.append(linebreaks(item.body, autoescape=True))
            if item.status_after:
                parts.append(format_html("<p>Status: {}</p>", item.get_status_after_display()))
            if item.quotation:
                parts.append(
                    format_html(
                        "<blockquote><p>\N{LEFT DOUBLE QUOTATION MARK}{}\N{RIGHT DOUBLE QUOTATION MARK}"
                        "</p></blockquote>",
                        item.quotation,
                    )
                )
                if item.quotation_by:
                    parts.append(format_html("<p>\N{EN DASH} {}</p>", item.quotation_by))
        sources = list(item.sources.all())
        if sources:
            parts.append(
                format_html(
                    "<p>Sources: {}</p>",
                    format_html_join(
                        "; ",
                        '<a href="{}">{}</a> ({})',
                        ((source.url, source.title, source.published_on_display) for source in sources),
                    ),
                )
            )
        return "\n".join(str(part) for part in parts)

    def item_link(self, item: PilotUpdate | TimelineEvent) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: PilotUpdate | TimelineEvent) -> str:
        kind = "timeline-event" if isinstance(item, TimelineEvent) else "pilot-update"
        return f"tag:london-health-devolution-portal,2015:{kind}/{item.pk}"

    item_guid_is_permalink = False

    def item_updateddate(self, item: PilotUpdate | TimelineEvent) -> datetime.datetime:
        """When the record last changed. Every record the portal publishes has history; the fallbacks
        (when it was published, then the pilots' announcement day) only keep the feed valid for rows
        made outside the admin and the loader."""
        return item.last_changed or item.published_at or datetime.datetime(2015, 12, 15, tzinfo=datetime.UTC)

    def item_categories(self, item: PilotUpdate | TimelineEvent) -> list[str]:
        if isinstance(item, TimelineEvent):
            return ["London-wide" if item.london_wide else "Shared development"]
        return [item.pilot.get_theme_display()]


class PilotFeed(PilotUpdatesFeed):
    """One published pilot's published updates and the events linked to it."""

    def get_object(self, request, slug: str) -> Pilot:
        return get_object_or_404(Pilot.objects.public(), slug=slug)

    def title(self, obj: Pilot) -> str:
        return f"Updates: {obj.title} \N{EN DASH} {PORTAL_NAME}"

    def subtitle(self, obj: Pilot) -> str:
        return f"What has happened to the devolution pilot “{obj.title}”, with sources."

    def link(self, obj: Pilot) -> str:
        return obj.get_absolute_url()

    def feed_url(self, obj: Pilot) -> str:
        return reverse("pilots:pilot_feed", kwargs={"slug": obj.slug})

    def updates(self, obj: Pilot):
        return selectors.published_updates(parents_as_exists=True).filter(pilot=obj)

    def events(self, obj: Pilot):
        return selectors.published_events_of_pilot(obj)


class BoroughFeed(PilotUpdatesFeed):
    """Published updates of the published pilots one borough takes part in, London-wide events and the
    events linked to the borough."""

    def get_object(self, request, slug: str) -> LocalAuthority:
        return get_object_or_404(LocalAuthority, slug=slug)

    def title(self, obj: LocalAuthority) -> str:
        return f"Devolution pilot updates for {obj.name} \N{EN DASH} {PORTAL_NAME}"

    def subtitle(self, obj: LocalAuthority) -> str:
        return f"What has happened to the devolution pilots {obj.name} takes part in, with sources."

    def link(self, obj: LocalAuthority) -> str:
        return f"{reverse('pilots:timeline')}?borough={obj.slug}"

    def feed_url(self, obj: LocalAuthority) -> str:
        return reverse("pilots:borough_feed", kwargs={"slug": obj.slug})

    def updates(self, obj: LocalAuthority):
        return selectors.published_updates_of_borough(obj)

    def events(self, obj: LocalAuthority):
        return selectors.published_events_of_authority(obj)
