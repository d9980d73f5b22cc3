from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from meetings.admin import StatementAdmin as MeetingsStatementAdmin
from meetings.concurrency import VersionedAdminMixin
from meetings.inlines import AddOnlyInline, ReadOnlyInline
from meetings.models import Statement
from meetings.quotes import QuoteAddInline, QuotePasteForm, quote_in_context

from .models import (
    Assessment,
    Commitment,
    ImplementationStatus,
    LineOfEffort,
    Thread,
    ThreadEntry,
)
from .services import opening_problem, place_in_thread, removal_problem, remove_from_thread

# Thread notes are a line or two: keep the inline rows compact.
COMPACT_NOTES = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 60})}}

# Evidence links are typed without a scheme more often than not: read them as https.
URL_HTTPS = {models.URLField: {"assume_scheme": "https"}}


def render_diff(runs):
    """Word runs as HTML: deleted words struck through, inserted words underlined."""
    if not runs:
        return "—"
    tags = {"equal": "span", "delete": "del", "insert": "ins"}
    return format_html_join(" ", "<{0} class='diff-{1}'>{2}</{0}>", ((tags[r.op], r.op, r.text) for r in runs))


class CommitmentListInline(ReadOnlyInline):
    model = Commitment
    fields = ["slug", "quote", "line_of_effort", "strength", "summary"]
    verbose_name_plural = "commitments"

    def get_queryset(self, request):
        # The line of effort is shown on every row.
        return super().get_queryset(request).select_related("line_of_effort")


class CommitmentAddInline(QuoteAddInline):
    model = Commitment
    # The quote and its filing; the statement is the page's own.
    fields = [
        name for name in (*Commitment.FIELD_GROUPS["quote"], *Commitment.FIELD_GROUPS["filing"]) if name != "statement"
    ]
    verbose_name = "new commitment (paste its quote)"
    verbose_name_plural = "add commitments"


class ThreadEntryForm(forms.ModelForm):
    class Meta:
        model = ThreadEntry
        fields = ["thread", "commitment", "change_kind", "note"]

    def clean(self):
        cleaned = super().clean()
        thread = cleaned.get("thread") or getattr(self.instance, "thread", None)
        commitment = cleaned.get("commitment") or getattr(self.instance, "commitment", None)
        if self.instance.pk and {"thread", "commitment"} & set(self.changed_data):
            # place_in_thread would add a second entry and leave this one where it is.
            raise ValidationError("To move a commitment, take this entry out of its thread and add a new one.")
        kind = cleaned.get("change_kind")
        if thread and commitment and kind:
            problem = opening_problem(thread=thread, commitment=commitment, change_kind=kind)
            if problem:
                raise ValidationError({"change_kind": problem})
        return cleaned

    def validate_unique(self):
        # Positions are assigned by place_in_thread on save; only (thread, commitment) is checked here.
        exclude = self._get_validation_exclusions() | {"position"}
        try:
            self.instance.validate_unique(exclude=exclude)
        except ValidationError as exc:
            self._update_errors(exc)


class ThreadEntrySavingMixin:
    """Thread entries are saved through place_in_thread, which keeps positions in meeting order."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not ThreadEntry:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these, as formset.save() would have set them.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for entry_form in formset.deleted_forms:
            if entry_form.instance.pk:
                remove_from_thread(entry=entry_form.instance)
                formset.deleted_objects.append(entry_form.instance)
        for entry_form in formset.forms:
            if entry_form in formset.deleted_forms or not entry_form.has_changed() or not entry_form.cleaned_data:
                continue
            data = entry_form.cleaned_data
            is_new = entry_form.instance.pk is None
            entry = place_in_thread(
                thread=data.get("thread") or form.instance,
                commitment=data.get("commitment") or form.instance,
                change_kind=data["change_kind"],
                note=data.get("note", ""),
            )
            if is_new:
                formset.new_objects.append(entry)
            else:
                formset.changed_objects.append((entry, entry_form.changed_data))


class CommitmentThreadListInline(ReadOnlyInline):
    """The commitment's thread entries: each opens on its own page to change or remove."""

    model = ThreadEntry
    fields = ["thread", "position", "change_kind", "note"]
    verbose_name = "place in a recurring pledge"
    verbose_name_plural = "recurring pledges"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("thread")


class ThreadEntryAddInline(AddOnlyInline):
    """New thread entries; positions follow meeting order (saved by place_in_thread)."""

    model = ThreadEntry
    form = ThreadEntryForm
    formfield_overrides = COMPACT_NOTES


class CommitmentThreadAddInline(ThreadEntryAddInline):
    fields = ["thread", "change_kind", "note"]
    autocomplete_fields = ["thread"]
    verbose_name = "new place in a recurring pledge"
    verbose_name_plural = "add to recurring pledges"


class AssessmentInline(admin.TabularInline):
    model = Assessment
    formfield_overrides = URL_HTTPS
    fields = ["assessed_on", "status", "funding_stage", "evidence_url", "assessor", "note"]
    extra = 0
    can_delete = False


class LatestStatusFilter(admin.SimpleListFilter):
    title = "latest status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ImplementationStatus.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(latest_status=self.value())
        return queryset


class CommitmentForm(QuotePasteForm):
    class Meta:
        model = Commitment
        fields = Commitment.CURATED_FIELDS


@admin.register(Commitment)
class CommitmentAdmin(VersionedAdminMixin, ThreadEntrySavingMixin, SimpleHistoryAdmin):
    form = CommitmentForm
    list_display = ["slug", "short_quote", "meeting", "line_of_effort", "strength", "threads", "latest_status"]
    list_filter = [
        "statement__meeting",
        "line_of_effort",
        "thread_entries__thread",
        "strength",
        LatestStatusFilter,
        "assessable",
    ]
    search_fields = ["slug", "quote", "summary", "actor"]
    autocomplete_fields = ["statement", "line_of_effort"]
    readonly_fields = ["in_context"]
    # The model's groups; the quote is shown in its context below its offsets.
    fieldsets = [
        (None, {"fields": [*Commitment.FIELD_GROUPS["quote"], "in_context"]}),
        *(
            (group.capitalize(), {"fields": names})
            for group, names in Commitment.FIELD_GROUPS.items()
            if group != "quote"
        ),
    ]
    inlines = [CommitmentThreadListInline, CommitmentThreadAddInline, AssessmentInline]

    def get_queryset(self, request):
        # for_list() joins statement, meeting and line of effort, prefetches thread names and
        # annotates the latest status: the changelist runs the same queries for any page size.
        return Commitment.objects.for_list()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_deletable():
            return False  # an assessed commitment is evidence of follow-up
        return super().has_delete_permission(request, obj)

    @admin.display(description="quote")
    def short_quote(self, obj):
        quote = obj.display_quote()
        return quote if len(quote) <= 90 else quote[:87] + "…"

    @admin.display(description="meeting", ordering="statement__meeting__start_date")
    def meeting(self, obj):
        return obj.statement.meeting.short_name()

    @admin.display(description="recurring pledges")
    def threads(self, obj):
        return ", ".join(entry.thread.slug for entry in obj.thread_entries.all()) or "—"

    @admin.display(description="latest status", ordering="latest_status")
    def latest_status(self, obj):
        return ImplementationStatus(obj.latest_status).label

    @admin.display(description="quote in context")
    def in_context(self, obj):
        return quote_in_context(obj)


class ThreadEntryListInline(ReadOnlyInline):
    """The thread's commitments in position order: each opens on its own page to change or remove."""

    model = ThreadEntry
    fields = ["position", "commitment", "change_kind", "note"]
    ordering = ["position"]
    verbose_name_plural = "places in this recurring pledge"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("commitment")


class ThreadCommitmentAddInline(ThreadEntryAddInline):
    fields = ["commitment", "change_kind", "note"]
    autocomplete_fields = ["commitment"]
    verbose_name = "new commitment in this recurring pledge"
    verbose_name_plural = "add commitments"


@admin.register(Thread)
class ThreadAdmin(VersionedAdminMixin, ThreadEntrySavingMixin, SimpleHistoryAdmin):
    list_display = ["title", "slug", "line_of_effort", "entry_count", "meeting_count"]
    list_filter = ["line_of_effort"]
    search_fields = ["title", "slug", "description"]
    list_select_related = ["line_of_effort"]
    autocomplete_fields = ["line_of_effort"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["slug", "title", "line_of_effort", "description", "timeline"]
    readonly_fields = ["timeline"]
    inlines = [ThreadEntryListInline, ThreadCommitmentAddInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                entry_count=Count("entries", distinct=True),
                meeting_count=Count("entries__commitment__statement__meeting", distinct=True),
            )
        )

    @admin.display(description="commitments", ordering="entry_count")
    def entry_count(self, obj):
        return obj.entry_count

    @admin.display(description="meetings", ordering="meeting_count")
    def meeting_count(self, obj):
        return obj.meeting_count

    @admin.display(description="timeline (meeting order)")
    def timeline(self, obj):
        if obj.pk is None:
            return "—"
        steps = Thread.objects.with_timeline().get(pk=obj.pk).timeline()
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}<br><small>{}</small></td><td>{}</td><td>{}<br><small>suggested: {}</small></td>"
            "<td>{}</td></tr>",
            (
                (
                    step.entry.position,
                    step.entry.commitment.statement.meeting,
                    step.entry.commitment.statement.meeting.start_date,
                    step.entry.commitment.display_quote(),
                    step.entry.get_change_kind_display(),
                    step.suggested_change_kind().label,
                    render_diff(step.diff),
                )
                for step in steps
            ),
        )
        return format_html(
            "<style>.diff-delete{{color:#a00;text-decoration:line-through}}.diff-insert{{color:#070;"
            "text-decoration:underline}}</style><table class='thread-timeline'><thead><tr><th>#</th><th>meeting</th>"
            "<th>quote</th><th>change</th><th>wording difference to the previous commitment</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )


@admin.register(ThreadEntry)
class ThreadEntryAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    form = ThreadEntryForm
    list_display = ["thread", "position", "commitment", "change_kind"]
    list_filter = ["thread", "change_kind"]
    search_fields = ["thread__title", "commitment__slug", "commitment__quote"]
    list_select_related = ["thread", "commitment"]
    autocomplete_fields = ["thread", "commitment"]
    readonly_fields = ["position"]

    def get_readonly_fields(self, request, obj=None):
        # An entry's thread and commitment are what it is: changing them is removing and adding.
        return ["position", "thread", "commitment"] if obj is not None else ["position"]

    def get_actions(self, request):
        # Bulk deletion would bypass remove_from_thread, which keeps each thread well opened.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        entry = place_in_thread(
            thread=obj.thread, commitment=obj.commitment, change_kind=obj.change_kind, note=obj.note
        )
        obj.pk, obj.position = entry.pk, entry.position

    def delete_view(self, request, object_id, extra_context=None):
        entry = self.get_object(request, unquote(object_id))
        problem = removal_problem(entry) if entry is not None else None
        if problem:
            self.message_user(request, problem, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:commitments_threadentry_change", args=[entry.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        remove_from_thread(entry=obj)


@admin.register(LineOfEffort)
class LineOfEffortAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["position", "name", "slug", "commitment_count"]
    list_display_links = ["name"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(commitment_count=Count("commitments"))

    @admin.display(description="commitments", ordering="commitment_count")
    def commitment_count(self, obj):
        return obj.commitment_count


@admin.register(Assessment)
class AssessmentAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    formfield_overrides = URL_HTTPS
    list_display = ["commitment", "assessed_on", "status", "funding_stage", "assessor"]
    list_filter = ["status", "funding_stage", "commitment__statement__meeting"]
    search_fields = ["commitment__slug", "note", "assessor"]
    list_select_related = ["commitment"]
    autocomplete_fields = ["commitment"]
    date_hierarchy = "assessed_on"

    def has_delete_permission(self, request, obj=None):
        # The history of a status is kept: a wrong assessment is corrected, never removed.
        return False


# A statement's page lists and adds the commitments that quote it. Statements belong to the meetings
# app, which knows nothing of commitments, so this app extends their admin rather than the reverse.
admin.site.unregister(Statement)


@admin.register(Statement)
class StatementAdmin(MeetingsStatementAdmin):
    inlines = [CommitmentListInline, CommitmentAddInline, *MeetingsStatementAdmin.inlines]
