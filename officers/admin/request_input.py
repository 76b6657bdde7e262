"""What the admin reads from the address and the form that no person types but a tampered request can
carry: the ``_to_field`` parameter, the ticked rows of a list action, the ids behind a pick-list. Django
puts some of these straight into a query, so a value the key cannot hold (``abc``, a number past the
database's range, which SQLite refuses outright) was a server error; here it is a message, a "not
found" or a form error instead.

Every admin on the site has this mixin, those other apps register (users, groups, authenticator devices,
lock-outs) included: ``officers.sites.PortalAdminSite.register`` adds it where it is missing.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponseRedirect

from officers.admin.forms import version_field

SELECTION_UNREADABLE = "The selection could not be read, so nothing was changed. Tick the records again and retry."


def fits(field: models.Field, value: object) -> bool:
    """Whether ``value`` is one ``field`` can hold (its type and validators; for a number, 64 bits, the
    most SQLite will compare with), so that a query may compare with it."""
    try:
        python = field.to_python(value)
        field.run_validators(python)
    except (ValidationError, ValueError, TypeError):  # django-concurrency's version field raises ValueError
        return False
    return not isinstance(python, int) or -(2**63) <= python < 2**63


def _written_by_the_list(field: models.Field, text: str) -> bool:
    """An id or a version as a list page writes it: for a number, plain digits."""
    if not fits(field, text):
        return False
    return not isinstance(field.to_python(text), int) or (text.isascii() and text.isdigit())


def _target(field: models.ForeignKey | models.ManyToManyField) -> models.Field:
    """The field of the related model that a foreign key or many-to-many value names (its key)."""
    related = field.remote_field.model._meta
    return related.get_field(getattr(field.remote_field, "field_name", None) or related.pk.name)


class _KnownIdsOnly:
    """An autocomplete box shows the records it was given; Django looks them up without checking that
    each id fits the key, so it shows none of those that do not (the form says the choice is invalid)."""

    def optgroups(self, name, value, attr=None):
        target = _target(self.field)
        return super().optgroups(name, [item for item in value if fits(target, item)], attr)


class CheckedAutocompleteSelect(_KnownIdsOnly, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_KnownIdsOnly, AutocompleteSelectMultiple):
    pass


class CheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django checks each submitted id by building (not running) a query, then runs one query with all
    of them: an id past the key's range passes the first and breaks the second on SQLite."""

    def _check_values(self, value):
        key = self.queryset.model._meta.get_field(self.to_field_name or self.queryset.model._meta.pk.name)
        for pk in value:
            if not fits(key, pk):
                message = self.error_messages["invalid_pk_value"]
                raise ValidationError(message, code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)


class CheckedChoicesMixin:
    """For an admin or an inline: pick-lists (autocomplete ones too) that refuse an id the key cannot hold."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        kwargs.setdefault("form_class", CheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class RequestInputMixin(CheckedChoicesMixin):
    """For a model's admin: the record behind the address, the rows of a list action, the pick-lists."""

    def get_object(self, request, object_id, from_field=None):
        # ``?_to_field=`` (empty) means the primary key, as Django's list reads it; its change page
        # looked for a field named "".
        return super().get_object(request, object_id, from_field or None)

    def response_action(self, request, queryset):
        """A selection that cannot be read (tampered with, or longer than any list page) is refused with
        a message before the action sees it."""
        selection = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not self.selection_is_readable(selection):
            self.message_user(request, SELECTION_UNREADABLE, messages.ERROR)
            return HttpResponseRedirect(".")
        return super().response_action(request, queryset)

    def selection_is_readable(self, selection: list[str]) -> bool:
        """Each ticked row as the list wrote it: the record's id, or "<id>,<version>" where the list
        checks versions (django-concurrency's ``check_concurrent_action``)."""
        version = version_field(self.model) if getattr(self, "check_concurrent_action", False) else None
        keys = [self.model._meta.pk] + ([version] if version is not None else [])
        if len(selection) > max(self.list_per_page, self.list_max_show_all):
            return False
        for value in selection:
            parts = value.split(",")
            if len(parts) != len(keys) or not all(map(_written_by_the_list, keys, parts)):
                return False
        return True
