"""The "Report a problem with this page" form."""

from django import forms
from django.core.exceptions import ValidationError

from .models import DESCRIPTION_MAX_LENGTH, PAGE_MAX_LENGTH

# The honeypot: a field people never see or fill (hidden by CSS and from assistive technology); bots
# that fill every field give themselves away.
HONEYPOT_FIELD = "website"


def validate_site_path(value: str) -> None:
    """Only a path on this site ("/boroughs/hackney/"), never another site's address."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        raise ValidationError("The page address is not one of this site's pages")


class ProblemReportForm(forms.Form):
    description = forms.CharField(
        label="What went wrong?",
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter what went wrong",
            "max_length": f"What went wrong must be {DESCRIPTION_MAX_LENGTH} characters or fewer",
            "null_characters_not_allowed": "What went wrong must not contain null characters",
        },
    )
    email = forms.EmailField(
        label="Your email address (optional)",
        required=False,
        max_length=254,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Enter an email address of 254 characters or fewer",
        },
    )
    page = forms.CharField(
        max_length=PAGE_MAX_LENGTH,
        required=False,
        validators=[validate_site_path],
        widget=forms.HiddenInput,
        error_messages={"max_length": "The page address is too long"},
    )
    website = forms.CharField(required=False, label="Leave this field empty")

    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD))
