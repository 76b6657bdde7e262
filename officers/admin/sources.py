"""Admin for sources, key figures and glossary terms. Sources are shared by every borough: any officer can
find and cite any source, and add a new one; an officer may change or publish only the sources they
added. Key figures and glossary terms are kept by editors."""

from django.contrib import admin

from officers.admin.base import PortalModelAdmin
from officers.scoping import added_by
from sources.models import GlossaryTerm, KeyFigure, Source

STATUS_HELP = (
    "Draft: only admin users see it. Published: shown on the public site, feeds and downloads. "
    "Withdrawn: taken off the public site but kept, with its history."
)


@admin.register(Source)
class SourceAdmin(PortalModelAdmin):
    list_display = ["title", "kind", "attribution", "published_on_display", "publication_status"]
    list_filter = ["publication_status", "kind"]
    search_fields = ["title", "slug", "author", "publisher", "summary"]
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["preview_link"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind"]}),
        (
            "Who and when",
            {"fields": ["author", "author_role", "publisher", ("published_on", "published_on_precision")]},
        ),
        ("Where to find it", {"fields": ["url", "summary"]}),
        ("Publication", {"fields": ["publication_status", "published_at", "published_by", "preview_link", "version"]}),
    ]
    help_texts = {
        "title": "The title exactly as the source gives it, without quotation marks.",
        "slug": "Filled in from the title. It becomes part of the source's web address: never reuse or change one.",
        "author": "The person who wrote it, as named in the source. Leave empty if it names nobody.",
        "author_role": "Their role at the time, as the source states it, e.g. 'Chair, London Councils'.",
        "publisher": "The organisation or publication that issued it. Leave empty if not known.",
        "published_on": "The date on the source. Leave empty if it is undated; never guess.",
        "published_on_precision": "How much of the date the source gives: the day, only the month, or only the year.",
        "url": "The full web address, starting with https:// (or http://). Other kinds of link are refused.",
        "summary": "One or two sentences in your own words: what the source covers. Plain text.",
        "publication_status": STATUS_HELP,
    }

    @admin.display(description="author / publisher")
    def attribution(self, obj: Source) -> str:
        return obj.attribution or "not recorded"

    @admin.display(description="published on", ordering="published_on")
    def published_on_display(self, obj: Source) -> str:
        return obj.published_on_display

    def officer_may_change(self, request, obj):
        return added_by(obj, request.user)

    def officer_may_delete(self, request, obj):
        return False


@admin.register(KeyFigure)
class KeyFigureAdmin(PortalModelAdmin):
    list_display = ["label", "value_as_stated", "value_qualifier", "unit", "source", "publication_status"]
    list_select_related = ["source"]
    list_filter = ["publication_status", "unit"]
    search_fields = ["label", "slug", "value_as_stated", "note", "source__title"]
    autocomplete_fields = ["source"]
    prepopulated_fields = {"slug": ["label"]}
    readonly_fields = ["preview_link"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "label",
                    "slug",
                    ("value_as_stated", "value_qualifier", "value", "unit"),
                    "period",
                    "note",
                    "source",
                ]
            },
        ),
        ("Publication", {"fields": ["publication_status", "published_at", "published_by", "preview_link", "version"]}),
    ]
    help_texts = {
        "value": "The exact number the source gives ('over 44 per cent': 44), never rounded; empty for 'a third'.",
        "publication_status": STATUS_HELP,
    }


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(PortalModelAdmin):
    list_display = ["term", "abbreviation", "publication_status"]
    list_filter = ["publication_status"]
    search_fields = ["term", "abbreviation", "slug", "definition"]
    autocomplete_fields = ["sources"]
    prepopulated_fields = {"slug": ["term"]}
    fieldsets = [
        (None, {"fields": ["term", "abbreviation", "slug", "definition", "sources"]}),
        ("Publication", {"fields": ["publication_status", "published_at", "published_by", "version"]}),
    ]
    help_texts = {
        "slug": "Filled in from the term; pages link to /glossary/#<slug>, so never change one.",
        "definition": "One to three plain sentences for a resident, in your own words. Plain text.",
        "sources": "The published sources that explain the term; at least one.",
        "publication_status": STATUS_HELP,
    }
