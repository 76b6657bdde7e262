"""The review queue in the admin, and proposing from a record's own page.

- ``ProposalAdmin``: the queue, for editors only: each proposal awaiting a decision, oldest first, with
  what it changes and its sources; a page each to publish it or return it with a reason.
- ``SentNotificationAdmin``: the emails sent, read only; an officer sees only their own.
- ``ProposeMixin`` (part of ``PortalModelAdmin``): "Send to an editor for publication" on a draft's
  page and as a list action, and a banner on the page saying where its latest proposal stands.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from officers.admin.permissions import ScopedPermissionsMixin
from officers.differences import reviews
from officers.models import Proposal, SentNotification
from officers.review import (
    CHANGED_SINCE,
    PROPOSABLE,
    REASON_REQUIRED,
    latest_proposal,
    may_propose,
    propose,
    publish_proposal,
    return_proposal,
)
from officers.scoping import is_editor


class StateFilter(admin.SimpleListFilter):
    """The queue shows what awaits a decision unless asked for decided proposals."""

    title = "state"
    parameter_name = "state"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*Proposal.State.choices, (self.ALL, "All proposals")]

    def value(self):
        return super().value() or Proposal.State.AWAITING

    def choices(self, changelist):
        yield from list(super().choices(changelist))[1:]  # no "All" link: the default is "awaiting"

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value == self.ALL else queryset.filter(state=value)


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={"invalid": CHANGED_SINCE})


class ReturnForm(DecisionForm):
    reason = forms.CharField(
        label="Why are you returning it?",
        help_text="The officer reads this on the record's page and in an email. Say what to change.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": REASON_REQUIRED},
    )


class ReadOnlyAdmin(ScopedPermissionsMixin, admin.ModelAdmin):
    """A log: nobody adds, changes or deletes rows here."""

    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    change_list_template = "admin/officers/proposal/change_list.html"
    decision_template = "admin/officers/proposal/decide.html"
    list_display = ["proposed_at", "record_link", "proposed_by", "state", "decided_by", "decided_at"]
    list_filter = [StateFilter]
    list_select_related = ["content_type", "proposed_by", "decided_by"]
    ordering = ["proposed_at", "pk"]
    fields = ["record_link", "proposed_by", "proposed_at", "state", "reason", "decided_by", "decided_at"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_view_permission(request, obj)

    @admin.display(description="record")
    def record_link(self, proposal: Proposal) -> str:
        record = proposal.record
        if record is None:
            return "(deleted)"
        opts = record._meta
        return format_html(
            '<a href="{}">{}</a>', reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]), record
        )

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decision_view)
        return [
            path("<path:object_id>/publish/", decide, {"decision": "publish"}, name="officers_proposal_publish"),
            path("<path:object_id>/return/", decide, {"decision": "return"}, name="officers_proposal_return"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Review queue: proposals for publication", **(extra_context or {})}
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["reviews"] = reviews(list(changelist.result_list))
        return response

    def decision_view(self, request, object_id, decision):
        """Publish or return one proposal: a confirmation page (GET) and the decision (POST). A proposal
        someone already decided, or whose record changed since the page was shown, is a form error."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        proposal = self.get_object(request, unquote(object_id))
        form_class = ReturnForm if decision == "return" else DecisionForm
        review = reviews([proposal])[0]
        version = review.record.version if review.record is not None else None
        form = form_class(request.POST if request.method == "POST" else None, initial={"version": version})
        if form.is_valid():
            try:
                if decision == "return":
                    return_proposal(
                        proposal=proposal,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                        version=form.cleaned_data["version"],
                    )
                else:
                    publish_proposal(proposal=proposal, by=request.user, version=form.cleaned_data["version"])
            except ValidationError as error:
                form.add_error("reason" if getattr(error, "code", None) == "reason" else None, error)
            else:
                done = f"Returned to {proposal.proposed_by}" if decision == "return" else "Published"
                self.message_user(request, f"{done}: {review.record}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:officers_proposal_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": ("Return for changes" if decision == "return" else "Publish") + f": {review.record}",
            "review": review,
            "form": form,
            "decision": decision,
        }
        return TemplateResponse(request, self.decision_template, context, status=400 if form.errors else 200)


@admin.register(SentNotification)
class SentNotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "subject", "recipient", "address", "outcome"]
    list_filter = ["event"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "address"]
    date_hierarchy = "created_at"
    fields = ["created_at", "event", "recipient", "address", "subject", "body", "sent_at", "failure"]
    readonly_fields = fields

    @admin.display(description="outcome")
    def outcome(self, notification: SentNotification) -> str:
        if notification.sent_at is not None:
            return "sent"
        return f"not sent: {notification.failure}" if notification.failure else "sending"


class ProposeMixin:
    """For the admin of every portal model; it acts only on the kinds of record officers propose."""

    change_form_template = "admin/officers/change_form_with_proposal.html"

    def _proposable(self) -> bool:
        return issubclass(self.model, PROPOSABLE)

    def get_urls(self):
        urls = super().get_urls()
        if not self._proposable():
            return urls
        name = f"{self.opts.app_label}_{self.opts.model_name}_propose"
        return [path("<path:object_id>/propose/", self.admin_site.admin_view(self.propose_view), name=name), *urls]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self._proposable():
            actions["propose_selected"] = self.get_action("propose_selected")
        return actions

    @admin.action(description="Send the selected drafts to an editor for publication")
    def propose_selected(self, request, queryset):
        for record in queryset:
            self._propose(request, record, version=None)

    def _propose(self, request, record, version: int | None) -> None:
        try:
            propose(record=record, by=request.user, version=version)
        except PermissionDenied:
            self.message_user(request, f"Not sent: {record} (not yours to send).", messages.ERROR)
        except ValidationError as error:
            self.message_user(request, f"Not sent: {record}. {' '.join(error.messages)}", messages.ERROR)
        else:
            self.message_user(request, f"Sent to the portal editors for publication: {record}.", messages.SUCCESS)

    def propose_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        record = self.get_object(request, unquote(object_id))  # 404 if another borough's
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        version = request.POST.get("version", "")
        self._propose(request, record, version=int(version) if version.isdigit() else -1)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change", args=[record.pk])
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None and self._proposable():
            context["proposal"] = latest_proposal(obj)
            context["may_propose"] = may_propose(user=request.user, record=obj)
            context["propose_url"] = reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_propose", args=[obj.pk]
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
