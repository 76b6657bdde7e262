"""Forms of the public site that belong to no one model's pages."""

from django import forms

FINDER_MAX_LENGTH = 100


class BoroughFinderForm(forms.Form):
    """The borough finder (home page and the boroughs list): a name or a GSS code."""

    q = forms.CharField(
        label="Find your borough",
        max_length=FINDER_MAX_LENGTH,
        strip=True,
        error_messages={
            "required": "Enter the name or GSS code of a London borough, for example Lewisham or E09000023",
            "max_length": f"Enter {FINDER_MAX_LENGTH} characters or fewer",
            "null_characters_not_allowed": "The name must not contain null characters",
        },
    )
