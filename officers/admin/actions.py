"""List actions: publish, withdraw and download the selected records. Each selected record is
checked against the version the list showed (django-concurrency), and the rules are the services'."""

import operator
from functools import reduce

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone

from core.models import Publishable
from datasets.definitions import DATE, INTEGER, NUMBER, STRING, Column
from datasets.writers import csv_chunks
from officers.admin.forms import version_field
from officers.scoping import is_editor
from officers.services import mark_checked, publish, withdraw

STALE_SELECTION = (
    "Nothing was changed: someone saved one or more of the selected records after you opened this list, "
    "or they are no longer in it. Reload the list, check the records and try again."
)
SELECT_ALL_REFUSED = (
    "Nothing was changed: \u201cselect all\u201d is only for downloading. Before changing a record the admin checks "
    "that nobody saved it since you saw it, and the records beyond this page were never shown to you. "
    "Select the records on this page instead."
)


class PortalActionsMixin:
    """``actions`` lists those an admin offers; ``mark_checked`` is there to add for records that go stale
    (the start page lists those nobody has saved or checked for a year)."""

    actions = ["publish_selected", "withdraw_selected", "export_csv"]
    read_only_actions = frozenset({"export_csv"})
    delete_selected_confirmation_template = "concurrency/delete_selected_confirmation.html"  # posts versions too

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_editor(request.user):
            actions.pop("delete_selected", None)  # officers delete one record at a time, each checked
        if not issubclass(self.model, Publishable):
            actions.pop("publish_selected", None)
            actions.pop("withdraw_selected", None)
        return actions

    def response_action(self, request, queryset):
        """Runs a list action on the selected records, each checked against the version the list showed.

        "Select all" is refused for an action that changes records: the check compares each record with
        the version the user saw, and records beyond the page were never shown. (A selection that cannot
        be read never gets here: ``request_input.RequestInputMixin`` refuses it first.)
        """
        actions = self.get_actions(request)
        name = _chosen_action(request)
        if name not in actions:
            self.message_user(request, "Choose an action from the list.", messages.WARNING)
            return HttpResponseRedirect(".")
        if request.POST.get("select_across") not in (None, "", "0"):
            if name not in self.read_only_actions:
                self.message_user(request, SELECT_ALL_REFUSED, messages.ERROR)
                return HttpResponseRedirect(".")
        else:
            version = version_field(self.model).attname
            pairs = {tuple(value.split(",")) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)}
            queryset = queryset.filter(reduce(operator.or_, (Q(pk=pk, **{version: v}) for pk, v in pairs)))
            if queryset.count() != len(pairs):
                self.message_user(request, STALE_SELECTION, messages.ERROR)
                return HttpResponseRedirect(".")
        response = actions[name][0](self, request, queryset)
        return response if isinstance(response, HttpResponseBase) else HttpResponseRedirect(".")

    def _each_record(self, request, queryset, service, verb: str) -> None:
        done, refused = 0, []
        for record in queryset:
            if not self.has_change_permission(request, record):
                refused.append(f"{record} (not yours to change)")
                continue
            try:
                service(record=record, by=request.user)
            except ValidationError as error:
                refused.append(f"{record} ({' '.join(error.messages)})")
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} record(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Not {verb.lower()}: {line}", messages.ERROR)

    @admin.action(description="Publish the selected records", permissions=["change"])
    def publish_selected(self, request, queryset):
        self._each_record(request, queryset, publish, "Published")

    @admin.action(description="Withdraw the selected records from the public site", permissions=["change"])
    def withdraw_selected(self, request, queryset):
        self._each_record(request, queryset, withdraw, "Withdrew")

    @admin.action(description="Mark the selected records as checked: still correct", permissions=["change"])
    def mark_checked(self, request, queryset):
        self._each_record(request, queryset, mark_checked, "Marked as checked")

    @admin.action(description="Download the selected records as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        """Through the public exports' formula-safe writer: a cell such as ``=HYPERLINK(...)`` is
        neutralised, numbers stay numbers."""
        fields = [field for field in self.model._meta.concrete_fields if field.name != "version"]
        columns = [Column(name=field.name, type=_column_type(field), description="", example="") for field in fields]
        rows = queryset.order_by("pk").values_list(*(field.attname for field in fields)).iterator()
        response = StreamingHttpResponse(csv_chunks(columns, rows), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{self.opts.model_name}-{stamp}.csv"'
        return response


def _chosen_action(request: HttpRequest) -> str:
    """The action whose button was pressed (the list may show an action menu above and below)."""
    names = request.POST.getlist("action")
    index = request.POST.get("index", "0")
    position = int(index) if index.isdigit() and int(index) < len(names) else 0
    return names[position] if names else ""


def _column_type(field: models.Field) -> str:
    """The Table Schema type of a model field, as the CSV writer reads it: text is neutralised, numbers not."""
    if isinstance(field, models.CharField | models.TextField):
        return STRING
    if isinstance(field, models.DecimalField):
        return NUMBER
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return DATE
    return INTEGER if isinstance(field, models.IntegerField | models.ForeignKey) else "any"
