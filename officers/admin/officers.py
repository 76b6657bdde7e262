"""Admin for borough officers (editors only)."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError

from officers.admin.base import PortalAdminForm, PortalModelAdmin, object_link
from officers.models import OfficerProfile
from officers.services import create_officer


class OfficerCreationForm(PortalAdminForm):
    """Creates the sign-in account and the officer's borough links in one step."""

    username = forms.CharField(
        label="user name", max_length=150, help_text="What they type to sign in, e.g. 'jsmith-hackney'."
    )
    email = forms.EmailField(label="email address", help_text="Their council email address.")
    password1 = forms.CharField(
        label="password",
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html()
        + " Leave both empty to create the account without a password; set one later under Users.",
    )
    password2 = forms.CharField(
        label="password again",
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = OfficerProfile
        fields = ["authorities"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model()._default_manager.filter(username__iexact=username).exists():
            raise ValidationError("That user name is already taken.")
        return username

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first or second:
            if first != second:
                self.add_error("password2", "The two passwords differ.")
            else:
                probe = get_user_model()(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
                try:
                    validate_password(first, probe)
                except ValidationError as error:
                    self.add_error("password2", error)
        return cleaned


@admin.register(OfficerProfile)
class OfficerProfileAdmin(PortalModelAdmin):
    list_display = ["__str__", "user_link", "email", "is_active"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "authorities__name", "authorities__gss_code"]
    list_filter = [("authorities", admin.RelatedOnlyFieldListFilter), "user__is_active"]
    autocomplete_fields = ["authorities"]
    readonly_fields = ["user_link"]
    fieldsets = [(None, {"fields": ["user_link", "authorities", "version"]})]
    add_fieldsets = [
        (None, {"fields": ["username", "email", "password1", "password2"]}),
        ("Boroughs", {"fields": ["authorities"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("authorities")

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OfficerCreationForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        user = create_officer(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            authorities=list(form.cleaned_data["authorities"]),
            password=form.cleaned_data.get("password1") or None,
            created_by=request.user,
        )
        profile = user.officer_profile
        obj.pk, obj.user, obj.version = profile.pk, user, profile.version
        obj._state.adding = False

    @admin.display(description="user")
    def user_link(self, obj: OfficerProfile) -> str:
        return object_link(obj.user) if obj and obj.pk else "-"

    @admin.display(description="email", ordering="user__email")
    def email(self, obj: OfficerProfile) -> str:
        return obj.user.email

    @admin.display(description="active", boolean=True, ordering="user__is_active")
    def is_active(self, obj: OfficerProfile) -> bool:
        return obj.user.is_active
