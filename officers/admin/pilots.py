"""Admin for pilots, their participants, their updates and the London-wide timeline.

Borough officers see the pilots their authority takes part in (read only) and add, edit, publish and
withdraw those pilots' updates. A change to the pilot itself (its status, summary, who takes part) is
proposed as a draft update, which an editor acts on. Editors edit everything, with the pilot's updates
and participants inline on the pilot's page.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils.html import format_html

from core.models import PublicationStatus
from officers.admin.base import PortalInlineMixin, PortalModelAdmin
from officers.admin.imports import SpreadsheetImportMixin
from pilots.models import Pilot, PilotParticipant, PilotUpdate, TimelineEvent

DATE_HELP = "Leave empty if the source gives no date. Never guess."
PRECISION_HELP = "How much of the date the source gives: the day, only the month, or only the year."
SOURCES_HELP = (
    "Where this comes from. A published update must cite at least one published source. Start typing a title "
    "to find one; if yours is missing, add it under Sources first."
)
STATUS_HELP = (
    "Draft: only admin users see it. Published: shown on the public site, feeds and downloads. "
    "Withdrawn: taken off the public site but kept, with its history."
)


class PilotParticipantInline(PortalInlineMixin, admin.TabularInline):
    model = PilotParticipant
    extra = 0
    autocomplete_fields = ["authority"]
    fields = ["authority", "role"]
    verbose_name = "participating authority"
    verbose_name_plural = "participating authorities (changes are kept in the pilot's history)"


class PilotUpdateInline(PortalInlineMixin, admin.StackedInline):
    model = PilotUpdate
    extra = 0
    show_change_link = True
    autocomplete_fields = ["sources"]
    fields = [
        ("title", "slug"),
        ("happened_on", "happened_on_precision", "status_after"),
        "body",
        "sources",
        "publication_status",
        "version",
    ]
    classes = ["collapse"]
    verbose_name_plural = "updates (open one on its own page to see its history)"


@admin.register(Pilot)
class PilotAdmin(PortalModelAdmin):
    actions = [*PortalModelAdmin.actions, "mark_checked"]  # the start page lists records not checked for a year
    list_display = ["title", "theme", "status", "status_as_of", "announced_on", "publication_status", "participating"]
    list_filter = ["publication_status", "theme", "status"]
    search_fields = ["title", "slug", "summary", "participants__authority__name", "participants__authority__gss_code"]
    date_hierarchy = "announced_on"
    autocomplete_fields = ["sources", "status_source"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [PilotParticipantInline, PilotUpdateInline]
    readonly_fields = ["add_update_link", "preview_link"]
    object_history_template = "admin/pilots/pilot/object_history.html"
    fieldsets = [
        (None, {"fields": ["add_update_link", "title", "slug", "theme"]}),
        (
            "Status and its evidence",
            {"fields": ["status", ("status_as_of", "status_as_of_precision"), "status_source", "status_evidence"]},
        ),
        ("Announcement", {"fields": [("announced_on", "announced_on_precision")]}),
        ("For residents", {"fields": ["summary", "aims", "sources"]}),
        ("Publication", {"fields": ["publication_status", "published_at", "published_by", "preview_link", "version"]}),
    ]
    help_texts = {
        "status_as_of": "The date of the latest evidence for the status, only as precise as that source. Never guess.",
        "status_as_of_precision": PRECISION_HELP,
        "status_source": "The published source whose word the status rests on; the pilot's page links to it.",
        "status_evidence": "In your own words, what that source says about where the pilot stands. Plain text.",
        "announced_on": DATE_HELP,
        "announced_on_precision": PRECISION_HELP,
        "sources": SOURCES_HELP,
        "publication_status": STATUS_HELP,
    }

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("participants__authority")

    @admin.display(description="participating authorities")
    def participating(self, obj: Pilot) -> str:
        return ", ".join(participant.authority.name for participant in obj.participants.all())

    @admin.display(description="updates")
    def add_update_link(self, obj: Pilot | None) -> str:
        if obj is None or obj.pk is None:
            return "Save the pilot first, then add its updates."
        add = reverse("admin:pilots_pilotupdate_add") + f"?pilot={obj.pk}"
        listing = reverse("admin:pilots_pilotupdate_changelist") + f"?pilot__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">Add an update</a> (to propose a change to this pilot, add a draft update saying what '
            'should change and why, with its source) · <a href="{}">All updates of this pilot</a>',
            add,
            listing,
        )

    def history_view(self, request, object_id, extra_context=None):
        pilot = self.get_object(request, unquote(object_id))  # 404 if no such pilot (or not the officer's)
        participant_history = (
            PilotParticipant.history.filter(pilot_id=pilot.pk)
            .select_related("history_user", "authority")
            .order_by("-history_date")
        )
        extra = {"participant_history": participant_history, **(extra_context or {})}
        return super().history_view(request, object_id, extra)


@admin.register(PilotUpdate)
class PilotUpdateAdmin(SpreadsheetImportMixin, PortalModelAdmin):
    actions = [*PortalModelAdmin.actions, "mark_checked"]  # the start page lists records not checked for a year
    list_display = ["title", "pilot", "happened_on_display", "status_after", "publication_status", "published_at"]
    list_select_related = ["pilot"]
    list_filter = ["publication_status", ("pilot", admin.RelatedOnlyFieldListFilter), "status_after"]
    search_fields = ["title", "slug", "body", "quotation", "quotation_by", "pilot__title"]
    date_hierarchy = "happened_on"
    autocomplete_fields = ["pilot", "sources"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["preview_link"]
    fieldsets = [
        (None, {"fields": ["pilot", "title", "slug", ("happened_on", "happened_on_precision"), "body"]}),
        ("Change to the pilot", {"fields": ["status_after"]}),
        ("Quotation (optional)", {"fields": ["quotation", "quotation_by"]}),
        ("Sources", {"fields": ["sources"]}),
        ("Publication", {"fields": ["publication_status", "published_at", "published_by", "preview_link", "version"]}),
    ]
    help_texts = {
        "pilot": "Only pilots your borough takes part in are offered.",
        "title": "A short headline in plain English, e.g. 'Joint budget agreed'.",
        "slug": (
            "Filled in from the title; lower-case words joined by hyphens. Must differ from the pilot's other updates."
        ),
        "happened_on": DATE_HELP,
        "happened_on_precision": PRECISION_HELP,
        "body": (
            "What happened, in two to four plain sentences and in your own words. Plain text: line breaks are kept, "
            "no other formatting."
        ),
        "status_after": (
            "Only if this update changes the pilot's status. Such an update is a proposal to change the pilot: "
            "save it as a draft, then send it to an editor for publication: a portal editor will check and publish it."
        ),
        "quotation": "A short exact quotation from the source, without quotation marks. Leave empty if none.",
        "quotation_by": "Who said it, with their role, as the source gives it.",
        "sources": SOURCES_HELP,
        "publication_status": STATUS_HELP,
    }

    @admin.display(description="happened on", ordering="happened_on")
    def happened_on_display(self, obj: PilotUpdate) -> str:
        return obj.happened_on_display or "not recorded"

    def officer_may_delete(self, request, obj):
        return obj.publication_status == PublicationStatus.DRAFT  # published ones are withdrawn, not deleted


@admin.register(TimelineEvent)
class TimelineEventAdmin(PortalModelAdmin):
    list_display = ["title", "happened_on_display", "london_wide", "publication_status"]
    list_filter = ["publication_status", "london_wide"]
    search_fields = ["title", "slug", "description", "note"]
    date_hierarchy = "happened_on"
    autocomplete_fields = ["sources"]
    filter_horizontal = ["pilots", "authorities", "integrated_care_systems"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["preview_link"]
    fieldsets = [
        (
            None,
            {"fields": ["title", "slug", ("happened_on", "happened_on_precision"), "description", "note", "sources"]},
        ),
        (
            "What it concerns (it shows on each of their pages, feeds and downloads)",
            {"fields": ["london_wide", "pilots", "authorities", "integrated_care_systems"]},
        ),
        ("Publication", {"fields": ["publication_status", "published_at", "published_by", "preview_link", "version"]}),
    ]
    help_texts = {
        "happened_on_precision": PRECISION_HELP,
        "note": "Where sources disagree (a date, who signed): what each says, naming both, in your own words.",
        "london_wide": "Tick if it concerns every borough; then link no authorities, only pilots and ICSs.",
        "sources": SOURCES_HELP,
        "publication_status": STATUS_HELP,
    }

    @admin.display(description="happened on", ordering="happened_on")
    def happened_on_display(self, obj: TimelineEvent) -> str:
        return obj.happened_on_display
