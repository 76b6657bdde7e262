"""Admin for the areas. Borough officers see and edit only their own authorities and place
partnerships, and only the descriptive fields: codes and names are facts an editor keeps."""

from django.contrib import admin

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from officers.admin.base import PortalModelAdmin

SOURCES_HELP = (
    "Every statement in the description must come from one of these. Start typing a title to find a source; "
    "if yours is missing, add it under Sources first."
)


@admin.register(IntegratedCareSystem)
class IntegratedCareSystemAdmin(PortalModelAdmin):
    list_display = ["name", "code", "icb_name", "icb_ods_code", "icb_gss_code", "icb_established_on"]
    search_fields = ["name", "code", "icb_name", "icb_ods_code", "icb_gss_code"]
    date_hierarchy = "icb_established_on"
    autocomplete_fields = ["sources"]
    fieldsets = [
        (None, {"fields": ["name", "code", "earlier_partnership_name", "description", "sources"]}),
        ("Integrated care board", {"fields": ["icb_name", "icb_ods_code", "icb_gss_code", "icb_established_on"]}),
        ("Record", {"fields": ["version"]}),
    ]


@admin.register(PlacePartnership)
class PlacePartnershipAdmin(PortalModelAdmin):
    actions = [*PortalModelAdmin.actions, "mark_checked"]  # the start page lists records not checked for a year
    list_display = ["name", "ics", "authority_names"]
    list_select_related = ["ics"]
    search_fields = ["name", "slug", "authorities__name", "authorities__gss_code"]
    list_filter = [("ics", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["ics", "sources"]
    prepopulated_fields = {"slug": ["name"]}
    officer_readonly_fields = ["name", "slug", "ics"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "ics"]}),
        ("For residents", {"fields": ["description", "sources"]}),
        ("Record", {"fields": ["version"]}),
    ]
    help_texts = {
        "description": (
            "Two or three plain sentences for residents: who takes part (council, NHS, GPs, voluntary sector) "
            "and what the partnership does. Use your own words and only what your sources say. Plain text: "
            "no formatting."
        ),
        "sources": SOURCES_HELP,
    }

    @admin.display(description="authorities")
    def authority_names(self, obj: PlacePartnership) -> str:
        return ", ".join(authority.name for authority in obj.authorities.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("authorities")


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(PortalModelAdmin):
    actions = [*PortalModelAdmin.actions, "mark_checked"]  # the start page lists records not checked for a year
    list_display = ["name", "gss_code", "kind", "ics", "place_partnership"]
    list_select_related = ["ics", "place_partnership"]
    search_fields = ["name", "gss_code", "slug"]
    list_filter = ["kind", ("ics", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["ics", "place_partnership", "sources"]
    prepopulated_fields = {"slug": ["name"]}
    officer_readonly_fields = ["gss_code", "name", "slug", "kind", "ics", "place_partnership"]
    fieldsets = [
        (None, {"fields": ["name", "gss_code", "slug", "kind", "ics", "place_partnership"]}),
        ("For residents", {"fields": ["description", "sources"]}),
        ("Record", {"fields": ["version"]}),
    ]
    help_texts = {
        "description": (
            "A short plain-English paragraph for residents about health and care in your borough. "
            "Use your own words and only what your sources say. Plain text: no formatting or links."
        ),
        "sources": SOURCES_HELP,
    }
