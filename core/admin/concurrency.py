"""Edits that meet: a write that lost a race is told so, and a stale admin form saves nothing.

The version compared is `NaturalKeyModel.version()`, the one the API sends as its ETag.
"""

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.utils.functional import cached_property

from ..exceptions import ConcurrentChange

VERSION_FIELD = "_record_version"


class StaleEditGuard:
    """A change form's check that the record is still as it was when the form was opened.

    The form carries the version it was opened at in a hidden field (VERSION_FIELD); the record is
    re-read with its row locked before the form is validated, so the comparison holds until the
    save. A form sent without the field (not from the page) is not checked.
    """

    stored_version = None  # the record's version as stored now, set by VersionedAdminMixin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[VERSION_FIELD] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=self.stored_version
        )

    @cached_property
    def changed_data(self):
        # The version is how the form was opened, not a change the curator made.
        return [name for name in super().changed_data if name != VERSION_FIELD]

    def clean(self):
        cleaned = super().clean()
        opened = self.data.get(self.add_prefix(VERSION_FIELD))
        if not opened or self.instance.pk is None or not self.needs_check():
            return cleaned
        own = {field.attname for field in self.instance._meta.concrete_fields}
        # The form writes the record's own columns; the rows of its inlines are checked row by row.
        changed = [column for column in self.instance.changed_since(opened) if column in own]
        if changed:
            self.add_error(None, self.stale_messages(changed))
            # The page shown again carries the version stored now: saving it again keeps the curator's values.
            self.data = self.data.copy()
            self.data[self.add_prefix(VERSION_FIELD)] = self.stored_version
        return cleaned

    def needs_check(self):
        """Whether to compare (the main form always; an inline row when it would be saved)."""
        return True

    def stale_heading(self):
        return (
            "Someone else saved this record after you opened this page, so nothing was saved. "
            "Their changes are listed below; this form still holds yours. Save again to store yours over theirs."
        )

    def stale_messages(self, changed):
        """What changed since the form was opened: each field, the value now stored and the curator's."""
        by_column = {field.attname: field for field in self.instance._meta.concrete_fields}
        lines = [self.stale_heading()]
        for column in changed:
            field = by_column[column]
            stored = getattr(self.instance, field.name)
            if field.name in self.fields:
                theirs = self.cleaned_data.get(field.name, self.data.get(self.add_prefix(field.name)))
                lines.append(f"{field.verbose_name}: now stored “{_shown(stored)}”; yours “{_shown(theirs)}”.")
            else:
                lines.append(f"{field.verbose_name}: now stored “{_shown(stored)}”.")
        return lines


class StaleRowGuard(StaleEditGuard):
    """An inline row's StaleEditGuard: each row carries its own version, and a row changed by someone
    else since the page was opened is refused as a stale main form is, naming the row.

    The row is re-read with its row locked when its form is validated, so the comparison holds until
    the save (the admin's view is one transaction). A row the curator's page would not change is not
    checked: it is not saved.
    """

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        self.stored_version = instance.version() if instance is not None and instance.pk else None
        super().__init__(*args, **kwargs)

    def needs_check(self):
        if not self.has_changed():
            return False
        try:
            self.instance.refresh_locked()
        except type(self.instance).DoesNotExist:
            self.add_error(None, f"This {self.instance._meta.verbose_name} was deleted meanwhile: nothing was saved.")
            return False
        self.stored_version = self.instance.version()
        return True

    def stale_heading(self):
        return (
            f"Someone else saved the {self.instance._meta.verbose_name} “{self.instance}” after you opened this "
            "page, so nothing was saved. Their changes are listed below; this row still holds yours. "
            "Save again to store yours over theirs."
        )


def _rewind_files(request):
    """Uploaded files read by the first try are read again from their start."""
    for upload in request.FILES.values():
        upload.seek(0)


def _shown(value, width=200):
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


class UniqueRowGuard:
    """An inline row's check of every unique field and constraint of its model, its parent's key
    included: Django leaves the parent out of an inline row's model validation, so a row repeating a
    record of its parent (a participation already recorded) would otherwise reach the database. A
    conflict is an error on the field that names it when the row shows that field, else on the row.
    """

    def _post_clean(self):
        super()._post_clean()
        if self.errors or not hasattr(self.instance, "unique_conflicts") or not self.has_changed():
            return
        for name, problems in self.instance.unique_conflicts().items():
            field = self.fields.get(name)
            self.add_error(name if field is not None and not field.widget.is_hidden else None, problems)


class VersionedAdminMixin:
    """ModelAdmin mixin for curated records: a change form refuses to save over a change made after
    it was opened and shows the curator what changed; a write that lost a race is a form error (or,
    refused twice, a message), not a 500; an inline row repeating a record is a form error (UniqueRowGuard).

    The version travels in a hidden field of the form, added to the page's fieldsets when it is
    rendered, so it works with any change form template and any fieldsets a ModelAdmin declares.
    """

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST" and transaction.get_connection().in_atomic_block:
            # Inside the admin's own transaction: hold the row until the save, and read it anew.
            try:
                obj.refresh_locked()
            except type(obj).DoesNotExist:
                return None
        return obj

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = type(formset.form.__name__, (UniqueRowGuard, formset.form), {"__module__": __name__})
            yield formset, inline

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None or obj.pk is None:
            return form

        class GuardedForm(StaleEditGuard, form):
            stored_version = obj.version()

        GuardedForm.__name__ = form.__name__
        return GuardedForm

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        adminform = context.get("adminform")
        if adminform is not None and VERSION_FIELD in adminform.form.fields:
            adminform.fieldsets = [*adminform.fieldsets, (None, {"fields": [VERSION_FIELD], "classes": ["hidden"]})]
            context["record_version"] = adminform.form[VERSION_FIELD].value()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The admin's add or change view, which lost no race: a write the database refused (a unique
        key another curator took between this form's validation and its save) or that another write
        overtook (ConcurrentChange) is rolled back whole and the form is validated again, once, against
        what is stored now. The validation then finds what was taken and says so on the form, naming
        the field, as it would have had the other curator saved first. Should the database refuse it
        again, nothing is saved and the curator is told so: never a server error."""
        for attempt in (1, 2):
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            except (IntegrityError, ConcurrentChange) as exc:
                # Django's view runs in a transaction of its own: it is rolled back already.
                if attempt == 1 and request.method == "POST":
                    _rewind_files(request)
                    continue
                if isinstance(exc, IntegrityError):
                    message = (
                        "Nothing was saved: another change stored a conflicting value at the same time. "
                        "Check the record as it is now and try again."
                    )
                else:
                    message = f"Nothing was saved: {exc}"
                self.message_user(request, message, messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ConcurrentChange as exc:
            self.message_user(request, f"Nothing was deleted: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class VersionedInlineMixin:
    """InlineModelAdmin mixin for inlines whose existing rows are edited on the parent's page: each row
    carries its own version (a hidden field) and a stale row is refused (StaleRowGuard)."""

    def get_formset(self, request, obj=None, **kwargs):
        form = kwargs.get("form", self.form)
        # Declared on the form class, so that the fieldsets may name it (it is no column of the model).
        version = forms.CharField(widget=forms.HiddenInput, required=False)
        guarded = type(form.__name__, (StaleRowGuard, form), {"__module__": form.__module__, VERSION_FIELD: version})
        return super().get_formset(request, obj, **{**kwargs, "form": guarded})

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.has_change_permission(request, obj):
            return fieldsets  # read only: no form to guard
        return [*fieldsets, (None, {"fields": [VERSION_FIELD]})]
