"""The admin's merge and split of recurring pledges (`commitments.merging` does the work), and their links.

Each is an action on the pledges' list for one selected pledge: a form (where to merge it; which
commitments to split off, under which slug and title; why), then a page showing the pledge(s) as
they would stand, worked out by doing it in a transaction that is rolled back, then "Yes". The form
carries the pledge's version as it was opened: a pledge changed by someone else since is refused
on confirmation, nothing saved, as a stale change form is (`core.admin.concurrency`).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core.admin.history import HistoryAdmin
from core.exceptions import ConcurrentChange

from .merging import is_retired, lock_pledges, merge_threads, split_thread
from .models import Thread, ThreadEntry
from .pledge_links import PledgeLink

STALE = (
    "Someone else changed this pledge after you opened this page, so nothing was saved. "
    "Check the result below as it now stands, and confirm again."
)


class _Rollback(Exception):
    """Leaves a preview's transaction without saving anything."""


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        queryset=Thread.objects.exclude(links__kind="merged-into").select_related("line_of_effort"),
        label="Merge it into",
        help_text="Every commitment moves there, in meeting order; this pledge's address will lead there.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept with the merge and in the history."
    )
    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, thread, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = self.fields["into"].queryset.exclude(pk=thread.pk)


class SplitForm(forms.Form):
    commitments = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label="Commitments that go to the new pledge"
    )
    slug = forms.SlugField(
        max_length=100, help_text="The new pledge's; a pledge merged into this one takes its commitments back."
    )
    title = forms.CharField(max_length=300, required=False, help_text="The new pledge's title.")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept with the split and in the history."
    )
    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, thread, **kwargs):
        super().__init__(*args, **kwargs)
        entries = ThreadEntry.objects.filter(thread=thread).select_related("commitment__statement__meeting")
        self.fields["commitments"].choices = [
            (
                entry.commitment.slug,
                f"{entry.position}. {entry.commitment.statement.meeting.short_name()}: {entry.commitment.slug} "
                f"({entry.get_change_kind_display().lower()})",
            )
            for entry in entries.defer("commitment__statement__text").order_by("position")
        ]


def _places(*threads):
    """Each pledge with its places as they stand, for the confirmation page."""
    return [
        (thread, ThreadEntry.objects.filter(thread=thread).select_related("commitment").order_by("position"))
        for thread in threads
    ]


class MergeSplitAdminMixin:
    """Actions of the pledges' list: merge one pledge into another, split chosen commitments off one."""

    actions = ["merge_selected", "split_selected"]

    @admin.action(description="Merge the selected pledge into another (then confirmed)", permissions=["change"])
    def merge_selected(self, request, queryset):
        return self._merge_or_split(request, queryset, "merge_selected", MergeForm, self._merge)

    @admin.action(description="Split commitments off the selected pledge (then confirmed)", permissions=["change"])
    def split_selected(self, request, queryset):
        return self._merge_or_split(request, queryset, "split_selected", SplitForm, self._split)

    def _merge(self, request, thread, data):
        merge_threads(thread=thread, into=data["into"], reason=data["reason"], by=request.user)
        return data["into"], [thread, data["into"]]

    def _split(self, request, thread, data):
        target = split_thread(
            thread=thread,
            commitments=data["commitments"],
            slug=data["slug"],
            title=data["title"],
            reason=data["reason"],
            by=request.user,
        )
        return target, [thread, target]

    def _merge_or_split(self, request, queryset, action, form_class, write):
        if queryset.count() != 1:
            self.message_user(request, "Select one pledge.", messages.WARNING)
            return None
        thread = queryset.get()
        if is_retired(thread):
            self.message_user(request, f"“{thread}” was merged into another pledge already.", messages.ERROR)
            return None
        step = request.POST.get("step")
        initial = {"version": thread.version()}
        form = form_class(request.POST if step else None, thread=thread, initial=initial)
        preview = None
        if step and form.is_valid():
            try:
                with transaction.atomic():
                    into = form.cleaned_data.get("into")
                    lock_pledges(thread, *([into] if into else []))  # in the order every merge locks them
                    thread.refresh_locked()
                    stale = step == "confirm" and thread.changed_since(form.cleaned_data["version"])
                    result, shown = write(request, thread, form.cleaned_data)
                    if step == "confirm" and not stale:
                        self.message_user(request, f"Done: “{thread}” → “{result}”.", messages.SUCCESS)
                        return HttpResponseRedirect(reverse("admin:commitments_thread_change", args=[result.pk]))
                    preview = _places(*shown)
                    raise _Rollback
            except _Rollback:
                if step == "confirm":
                    form.add_error(None, STALE)
                # The confirmation carries the version it was shown at.
                form.data = form.data.copy()
                form.data["version"] = thread.version()
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            except ConcurrentChange as exc:
                form.add_error(None, str(exc))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{'Merge' if action == 'merge_selected' else 'Split'} “{thread}”",
            "opts": self.model._meta,
            "thread": thread,
            "form": form,
            "preview": preview,
            "action": action,
            "selected": thread.pk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "commitments/admin/merge_split.html", context)


@admin.register(PledgeLink)
class PledgeLinkAdmin(HistoryAdmin):
    """Merges and splits: made by the pledges' actions, undone by the opposite one; a curator marks them reviewed."""

    list_display = ["thread", "kind", "other", "reviewed", "reason"]
    list_filter = ["kind", "reviewed"]
    list_select_related = ["thread", "other"]
    search_fields = ["thread__slug", "other__slug", "reason"]
    fields = ["thread", "kind", "other", "reason", "moved_places", "reviewed"]
    readonly_fields = ["thread", "kind", "other", "reason", "moved_places"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Undone by the opposite operation, which restores the places: deleting the record alone would not.
        return False

    @admin.display(description="places moved or re-suggested (as they stood before)")
    def moved_places(self, obj):
        return "; ".join(
            f"{place['commitment']} ({place['thread']} #{place['position']}, {place['change_kind']}"
            f"{', moved' if place['moved'] else ''})"
            for place in obj.entries
        )
