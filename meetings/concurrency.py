"""Edits that meet: a write that lost a race is told so, and a stale admin form saves nothing.

The version compared is `NaturalKeyModel.version()`, the one the API sends as its ETag.
"""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect


class ConcurrentChange(Exception):
    """Another write changed the same records first; nothing of this one was saved."""


VERSION_FIELD = "_record_version"


class StaleEditGuard:
    """A change form's check that the record is still as it was when the form was opened.

    The page carries the version it was opened at (VERSION_FIELD); the record is re-read with its
    row locked before the form is validated, so the comparison holds until the save. A form sent
    without the field (not from the page) is not checked.
    """

    def clean(self):
        cleaned = super().clean()
        opened = self.data.get(VERSION_FIELD)
        if opened is None or self.instance.pk is None:
            return cleaned
        changed = self.instance.changed_since(opened)
        if changed:
            self.add_error(None, self.stale_messages(changed))
        return cleaned

    def stale_messages(self, changed):
        """What changed since the form was opened: each field, the value now stored and the curator's."""
        by_column = {field.attname: field for field in self.instance._meta.concrete_fields}
        lines = [
            "Someone else saved this record after you opened this page, so nothing was saved. "
            "Their changes are listed below; this form still holds yours. Save again to store yours over theirs."
        ]
        for column in changed:
            field = by_column[column]
            stored = getattr(self.instance, field.name)
            if field.name in self.fields:
                theirs = self.cleaned_data.get(field.name, self.data.get(field.name))
                lines.append(f"{field.verbose_name}: now stored “{_shown(stored)}”; yours “{_shown(theirs)}”.")
            else:
                lines.append(f"{field.verbose_name}: now stored “{_shown(stored)}”.")
        return lines


def _shown(value, width=200):
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


class VersionedAdminMixin:
    """ModelAdmin mixin for curated records: a change form refuses to save over a change made after
    it was opened and shows the curator what changed; a write that lost a race is a message, not a 500."""

    change_form_template = "meetings/admin/versioned_change_form.html"

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST" and transaction.get_connection().in_atomic_block:
            # Inside the admin's own transaction: hold the row until the save, and read it anew.
            try:
                obj.refresh_locked()
            except type(obj).DoesNotExist:
                return None
        if obj is not None:
            obj._stored_version = obj.version()
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            return form

        class GuardedForm(StaleEditGuard, form):
            pass

        GuardedForm.__name__ = form.__name__
        return GuardedForm

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            # The version as stored now: after a refusal, saving again means "keep mine over theirs".
            context["record_version"] = getattr(obj, "_stored_version", None) or obj.version()
            context["record_version_field"] = VERSION_FIELD
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ConcurrentChange as exc:
            self.message_user(request, f"Nothing was saved: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ConcurrentChange as exc:
            self.message_user(request, f"Nothing was deleted: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
