"""The admin site: its names, two-factor sign-in for staff (``officers.two_factor``), "view on site"
limited to what the public may see, and tampered input answered without a server error by every admin
registered on it (``officers.admin.request_input``).

It is the default admin site (``officers.apps.PortalAdminConfig`` replaces ``django.contrib.admin`` in
INSTALLED_APPS), so ``admin.site`` and ``@admin.register`` are this site.
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import urlencode

from officers import two_factor
from officers.start_page import start_page_panels


def _next(request: HttpRequest) -> str:
    return request.POST.get("next") or request.GET.get("next") or reverse("admin:index")


def is_public(obj: models.Model) -> bool:
    """Whether the public may see ``obj``: its model's ``public()``, the one statement of the rule (a
    model without one has no public page)."""
    queryset = type(obj)._default_manager.all()
    return hasattr(queryset, "public") and queryset.public().filter(pk=obj.pk).exists()


class PortalAdminSite(admin.AdminSite):
    site_header = "London Health Devolution Portal admin"
    site_title = "London Health Devolution Portal admin"
    index_title = "Keep your borough's entries current"
    site_url = "/"

    def register(self, model_or_iterable, admin_class=None, **options):
        """Registers as Django does, with ``RequestInputMixin`` added to an admin that lacks it (those of
        other apps: users, groups, authenticator devices, lock-outs)."""
        # Imported here: the admin package registers its models on this site as it is imported.
        from officers.admin.request_input import RequestInputMixin

        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, RequestInputMixin):
            admin_class = type(admin_class.__name__, (RequestInputMixin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff, and (where two-factor sign-in is required) past the second factor too."""
        return super().has_permission(request) and not two_factor.needs_second_factor(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """The password step; a member of staff signed in without their second factor goes on to it."""
        if not two_factor.needs_second_factor(request):
            response = super().login(request, extra_context)
            if not (request.method == "POST" and request.user.is_authenticated):
                return response
            if not two_factor.needs_second_factor(request):
                two_factor.signed_in(request)
                return response
        return HttpResponseRedirect(f"{reverse('admin:two_factor')}?{urlencode({'next': _next(request)})}")

    def index(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """The start page: the panels of ``officers.start_page`` above Django's list of everything."""
        return super().index(request, {"panels": start_page_panels(request.user), **(extra_context or {})})

    def get_urls(self):
        """Django's URLs and the second factor's, with "view on site" (``r/<content type>/<id>/``) replaced
        by :meth:`view_on_site`."""
        own = path(
            "r/<path:content_type_id>/<path:object_id>/", self.admin_view(self.view_on_site), name="view_on_site"
        )
        return [
            path("second-factor/", two_factor.second_factor_view, name="two_factor"),
            path("second-factor/set-up/", two_factor.enrol_view, name="two_factor_enrol"),
            *(own if getattr(url, "name", None) == "view_on_site" else url for url in super().get_urls()),
        ]

    def view_on_site(self, request: HttpRequest, content_type_id: str, object_id: str) -> HttpResponseRedirect:
        """The record's public page, only if the user may see the record and the public may too: a draft,
        a withdrawn record or another borough's record is "not found" (its address would name it)."""
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ValueError, OverflowError, ContentType.DoesNotExist):
            raise Http404("No such kind of record.") from None
        model_admin = self._registry.get(model)
        if model_admin is None or not hasattr(model, "get_absolute_url"):
            raise Http404("No such kind of record.")
        try:
            obj = model_admin.get_queryset(request).get(pk=object_id)
        except (model.DoesNotExist, ValueError, OverflowError, ValidationError):
            raise Http404("No such record, or it belongs to another borough.") from None
        if not is_public(obj):
            raise Http404("This record is not on the public site.")
        return HttpResponseRedirect(obj.get_absolute_url())
