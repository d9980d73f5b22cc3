from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Q, Value, When
from django.forms.models import InlineForeignKeyField
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin.concurrency import VersionedAdminMixin, VersionedInlineMixin
from core.admin.filters import BoundedRelatedFilter
from core.admin.history import HistoryAdmin
from core.admin.inlines import AddOnlyInline, ReadOnlyInline
from core.admin.paging import BoundedNavigationMixin
from core.admin.quotes import QuoteAddInline, QuotePasteForm, quote_in_context
from core.admin.reading import Mark, shortened
from core.admin.widgets import COMPACT_NOTES, URL_HTTPS
from core.marking import word_diff_html
from meetings.admin import StatementAdmin as MeetingsStatementAdmin
from meetings.models import Statement

from . import (
    assessments_admin,  # noqa: F401 - registers the follow-through admin
    merging_admin,  # registers the links between pledges; ThreadAdmin takes its merge and split actions
    publishing_admin,  # noqa: F401 - registers the meetings' admin with its publish action
)
from .defaults import default_commitment_slug, default_summary, guess_actor
from .models import (
    Assessment,
    Commitment,
    ImplementationStatus,
    LineOfEffort,
    PledgeLink,
    Thread,
    ThreadEntry,
)
from .services import (
    already_in_thread,
    opening_problem,
    place_in_thread,
    removal_problem,
    remove_from_thread,
)
from .timeline import CLOSE_WORDING_SIMILARITY, SuggestionBasis


def render_diff(runs):
    """A wording difference for a timeline row, or a dash when there is none."""
    return word_diff_html(runs) if runs else "—"


class CommitmentListInline(ReadOnlyInline):
    """The statement's commitments, one short line each: the quote opens in full, or shows where it is in the text."""

    model = Commitment
    fields = ["slug", "quote_details", "line_of_effort", "strength"]
    verbose_name_plural = "commitments"
    classes = ["collapse"]

    def get_queryset(self, request):
        # The line of effort is shown on every row.
        return super().get_queryset(request).select_related("line_of_effort")

    @admin.display(description="quote")
    def quote_details(self, obj):
        quote = obj.display_quote()
        return format_html(
            '<details class="compact-quote"><summary>{}</summary>{} <a href="#mark-commitment-{}">in the text ↑</a>'
            "</details>",
            quote if len(quote) <= 80 else quote[:79].rstrip() + "…",
            quote,
            obj.slug,
        )


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
        if self.instance.pk is None and thread and commitment:
            # The model's unique constraint is not checked for an inline row (its parent's field is
            # excluded from the model's validation), and place_in_thread would update the entry there.
            already = already_in_thread(thread=thread, commitment=commitment)
            if already:
                raise ValidationError({self._shown_field("commitment", "thread"): already})
        kind = cleaned.get("change_kind")
        if thread and commitment and kind:
            problem = opening_problem(thread=thread, commitment=commitment, change_kind=kind)
            if problem:
                raise ValidationError({"change_kind": problem})
        return cleaned

    def _shown_field(self, *names):
        """The first of `names` that the curator sees on this form (an inline's parent is a hidden field)."""
        return next(
            (
                name
                for name in names
                if name in self.fields and not isinstance(self.fields[name], InlineForeignKeyField)
            ),
            None,
        )

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
            # A new row never updates an entry placed meanwhile: AlreadyInThread, as the API's 409.
            entry = place_in_thread(
                thread=data.get("thread") or form.instance,
                commitment=data.get("commitment") or form.instance,
                change_kind=data["change_kind"],
                note=data.get("note", ""),
                only_new=is_new,
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


class AssessmentInline(VersionedInlineMixin, admin.TabularInline):
    model = Assessment
    formfield_overrides = URL_HTTPS
    fields = Assessment.curated_fields(without=("commitment",))
    extra = 0
    can_delete = False


class LatestStatusFilter(admin.SimpleListFilter):
    title = "latest status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ImplementationStatus.choices

    def queryset(self, request, queryset):
        # The stored status (`Commitment.latest_status`), newest first through its index.
        if self.value():
            return queryset.filter(latest_status=self.value())
        return queryset


class CommitmentForm(QuotePasteForm):
    class Meta:
        model = Commitment
        fields = Commitment.CURATED_FIELDS


@admin.register(Commitment)
class CommitmentAdmin(BoundedNavigationMixin, VersionedAdminMixin, ThreadEntrySavingMixin, HistoryAdmin):
    form = CommitmentForm
    # Fits 1,280 px beside the filters: the quote (shortened, whole on hover) opens the commitment;
    # its slug is on its page and found by the search.
    list_display = ["short_quote", "meeting", "line_of_effort", "strength_word", "threads", "latest_status"]
    list_display_links = ["short_quote"]
    list_per_page = 50
    # Counted up to a bound, deeper pages by key (`BoundedNavigationMixin`): no page reads more rows
    # the longer the table, at any depth, under any filter.
    list_filter = [
        ("statement__meeting", BoundedRelatedFilter),
        "line_of_effort",
        ("thread_entries__thread", BoundedRelatedFilter),
        "strength",
        LatestStatusFilter,
        "assessable",
    ]
    # Newest first, from the primary key's index: ordering by meeting date sorts the whole table
    # on every page (the meeting column still sorts by date when clicked).
    ordering = ["-pk"]
    # Searched as readers search (`get_search_results`): the fields say what the search box reads.
    search_fields = ["slug", "quote", "summary"]
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

    def get_search_results(self, request, queryset, search_term):
        """The public search (`Commitment.objects.search()`: the words of the quote and summary, their synonyms,
        the line of effort's name, through the full-text indexes), or the start of a slug (a range of its unique
        index: what the autocompletes type). Django's own search reads every quote with LIKE: its time grew with
        the table."""
        term = search_term.strip()
        if not term:
            return queryset, False
        found = Commitment.objects.search(term).values("pk")
        slug_starts = Q(slug__gte=term.lower(), slug__lt=term.lower() + "\U0010ffff")
        return queryset.filter(Q(pk__in=found) | slug_starts), False

    def get_changeform_initial_data(self, request):
        """A passage selected in a statement ("New commitment from selection") also suggests the slug, the actor
        and the summary, as the ingest does (commitments.defaults). The line of effort and the strength are the
        curator's choice: left empty, and required."""
        initial = super().get_changeform_initial_data(request)
        quote, statement_id = initial.get("quote"), initial.get("statement")
        if not quote or not str(statement_id).isdigit():
            return initial
        statement = Statement.objects.filter(pk=statement_id).only("slug", "text", "issuer").first()
        if statement is None:
            return initial
        start = str(initial.get("start", ""))
        if start.isdigit() and statement.text[int(start) : int(start) + len(quote)] == quote:
            actor = guess_actor(statement.text, int(start), int(start) + len(quote), statement.issuer)
        else:
            actor = statement.issuer
        initial.setdefault("slug", default_commitment_slug(statement.slug, quote))
        initial.setdefault("actor", actor[:200])
        initial.setdefault("summary", default_summary(quote))
        return initial

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_deletable():
            return False  # an assessed commitment is evidence of follow-up
        return super().has_delete_permission(request, obj)

    def delete_blockers(self, request, obj):
        reasons = [
            f"It was assessed on {assessment.assessed_on:%Y-%m-%d} ({assessment.get_status_display()}): assessments "
            "are the record of its follow-up and are kept."
            for assessment in obj.assessments.order_by("assessed_on")
        ]
        reasons += [
            f"It is in the recurring pledge “{entry.thread}” (position {entry.position}): take it out of the pledge "
            "first, from the entry's page."
            for entry in obj.thread_entries.select_related("thread").order_by("thread__title")
        ]
        return reasons

    @admin.display(description="quote")
    def short_quote(self, obj):
        return shortened(obj.quote, 110)

    @admin.display(description="strength", ordering="strength")
    def strength_word(self, obj):
        # The choice's first word ("Binding", "Softer"); its full label is the filter's.
        return format_html(
            '<span title="{}">{}</span>', obj.get_strength_display(), obj.get_strength_display().split()[0]
        )

    @admin.display(description="meeting", ordering="statement__meeting__start_date")
    def meeting(self, obj):
        return obj.statement.meeting.short_name()

    @admin.display(description="recurring pledges")
    def threads(self, obj):
        return format_html_join(", ", "{}", ((entry.thread.title,) for entry in obj.thread_entries.all())) or "—"

    @admin.display(description="latest status", ordering="latest_status")
    def latest_status(self, obj):
        return ImplementationStatus(obj.latest_status).label

    @admin.display(description="quote in context")
    def in_context(self, obj):
        return quote_in_context(obj)


class ThreadCommitmentAddInline(ThreadEntryAddInline):
    fields = ["commitment", "change_kind", "note"]
    autocomplete_fields = ["commitment"]
    verbose_name = "new commitment in this recurring pledge"
    verbose_name_plural = "add commitments"


def timeline_html(thread):
    """A thread's timeline for review: each commitment against the one before, flags where the curator's kind
    contradicts the quotes (`SuggestionBasis.contradiction`), what each suggestion rests on in a tooltip.
    Close wording shows as a word diff, rewritten wording as both quotes."""
    rows = []
    for step in thread.timeline():
        share = step.similarity()
        rows.append(
            {
                "step": step,
                "entry_url": reverse("admin:commitments_threadentry_change", args=[step.entry.pk]),
                "commitment_url": reverse("admin:commitments_commitment_change", args=[step.entry.commitment.pk]),
                "share": None if share is None else round(share * 100),
                "rewritten": step.previous is not None and not step.wording_is_close(),
                "diff": render_diff(step.diff) if step.wording_is_close() else None,
                "suggested": step.basis.suggested,
                "basis": step.basis.explanation(),
                "contradiction": step.basis.contradiction(step.entry.change_kind),
            }
        )
    return render_to_string(
        "commitments/admin/thread_timeline.html",
        {"rows": rows, "rewritten_below": round(CLOSE_WORDING_SIMILARITY * 100)},
    )


@admin.register(Thread)
class ThreadAdmin(merging_admin.MergeSplitAdminMixin, VersionedAdminMixin, ThreadEntrySavingMixin, HistoryAdmin):
    # The meetings it recurs at, in order, say more than its slug (found by the search all the same).
    list_display = ["title", "line_of_effort", "meetings", "entry_count"]
    list_filter = ["line_of_effort"]
    search_fields = ["title", "slug", "description"]
    list_select_related = ["line_of_effort"]
    autocomplete_fields = ["line_of_effort"]
    prepopulated_fields = {"slug": ["title"]}
    fields = Thread.CURATED_FIELDS
    # The timeline (thread_change_form.html) lists the entries, each linking to its own page.
    change_form_template = "commitments/admin/thread_change_form.html"
    inlines = [ThreadCommitmentAddInline]
    # The model's ordering, said again: a query with counts (GROUP BY) ignores Meta.ordering, and
    # autocompletes page through this queryset.
    ordering = Thread._meta.ordering

    class Media:
        css = {"all": ["commitments/admin/timeline.css"]}

    def get_queryset(self, request):
        # with_timeline() prefetches the entries with their meetings: the `meetings` column, in one query.
        return super().get_queryset(request).with_timeline().with_entry_count()

    def get_search_results(self, request, queryset, search_term):
        """Pledges matching the words typed, best first: a title with a word starting as typed, then a title
        containing it, then a match in the slug or description only. The autocomplete keeps this order (Enter
        takes the first); the changelist sorts by its own columns."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        words = search_term.split()
        if not words:
            return queryset, may_have_duplicates
        rank = sum(
            (
                Case(
                    When(Q(title__istartswith=word) | Q(title__icontains=f" {word}"), then=Value(0)),
                    When(title__icontains=word, then=Value(1)),
                    default=Value(2),
                )
                for word in words
            ),
            start=Value(0),
        )
        return queryset.annotate(search_rank=rank).order_by("search_rank", *self.ordering), may_have_duplicates

    def change_view(self, request, object_id, form_url="", extra_context=None):
        thread = self.get_object(request, unquote(object_id))
        if thread is not None:
            extra_context = {**(extra_context or {}), "timeline": timeline_html(thread)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="commitments", ordering="entry_count")
    def entry_count(self, obj):
        return obj.entry_count

    @admin.display(description="meetings, in order")
    def meetings(self, obj):
        return " → ".join(meeting.short_name() for meeting in obj.meetings_in_order()) or "—"


def entry_basis(entry):
    """What an entry's suggested kind rests on, from `ThreadEntry.objects.with_previous()`'s annotations."""
    return SuggestionBasis(
        entry.previous_quote, entry.previous_strength, entry.commitment.quote, entry.commitment.strength
    )


class SuggestionFilter(admin.SimpleListFilter):
    title = "change kind against the quotes"
    parameter_name = "suggestion"

    def lookups(self, request, model_admin):
        return [("differs", "Contradicts the quotes"), ("moved", "Moved by a merge or split, to review")]

    def queryset(self, request, queryset):
        if self.value() == "moved":
            # Flagged until a curator marks the merge or split reviewed (its link, `PledgeLink.reviewed`).
            flagged = PledgeLink.objects.places_to_review()
            pledges = {pledge for pledge, _ in flagged}
            rows = queryset.filter(thread__slug__in=pledges).values_list("pk", "thread__slug", "commitment__slug")
            return queryset.filter(pk__in=[pk for pk, *place in rows if tuple(place) in flagged])
        if self.value() == "differs":
            # Worked out in Python from the two quotes: every entry read once (one query), then a filter on ids.
            rows = queryset.with_previous().values_list(
                "pk", "change_kind", "previous_quote", "previous_strength", "commitment__quote", "commitment__strength"
            )
            flagged = [pk for pk, kind, *quotes in rows if SuggestionBasis(*quotes).contradiction(kind)]
            return queryset.filter(pk__in=flagged)
        return queryset


@admin.register(ThreadEntry)
class ThreadEntryAdmin(VersionedAdminMixin, HistoryAdmin):
    form = ThreadEntryForm
    list_display = ["thread", "position", "commitment_slug", "meeting", "change_kind", "suggestion"]
    list_display_links = ["commitment_slug"]
    list_filter = [("thread", BoundedRelatedFilter), "change_kind", SuggestionFilter]
    search_fields = ["thread__title", "commitment__slug", "commitment__quote"]
    list_select_related = ["thread", "commitment__statement__meeting"]
    list_per_page = 50
    autocomplete_fields = ["thread", "commitment"]
    readonly_fields = ["position"]

    class Media:
        css = {"all": ["commitments/admin/timeline.css"]}

    # By the (thread, position) index: ordering by the thread's title would sort every entry per page.
    ordering = ["thread_id", "position"]

    def get_queryset(self, request):
        # with_previous() gives each row the previous entry's quote and strength, which the suggestion
        # column reads, in the page's own query; the statement text is never shown.
        return super().get_queryset(request).with_previous().defer("commitment__statement__text")

    def get_readonly_fields(self, request, obj=None):
        # An entry's thread and commitment are what it is: changing them is removing and adding.
        return ["position", "thread", "commitment", "suggestion"] if obj is not None else ["position"]

    def get_actions(self, request):
        # Bulk deletion would bypass remove_from_thread, which keeps each thread well opened.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="commitment", ordering="commitment__slug")
    def commitment_slug(self, obj):
        return obj.commitment.slug

    @admin.display(description="meeting", ordering="commitment__statement__meeting__start_date")
    def meeting(self, obj):
        return obj.commitment.statement.meeting.short_name()

    @admin.display(description="suggested kind")
    def suggestion(self, obj):
        # Flagged only where the curator's kind contradicts the quotes; what the suggestion rests on on hover.
        basis = entry_basis(obj)
        contradiction = basis.contradiction(obj.change_kind)
        if contradiction is None:
            return format_html('<span title="{}">{}</span>', basis.explanation(), basis.suggested.label)
        return format_html(
            '<span class="kind-flag" title="{} {}">⚠ {}</span>',
            contradiction,
            basis.explanation(),
            basis.suggested.label,
        )

    def save_model(self, request, obj, form, change):
        entry = place_in_thread(
            thread=obj.thread,
            commitment=obj.commitment,
            change_kind=obj.change_kind,
            note=obj.note,
            only_new=not change,
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
        request.removed_from_thread = obj.thread
        remove_from_thread(entry=obj)

    def response_delete(self, request, obj_display, obj_id):
        """Back to the pledge the entry was removed from, its timeline as it now stands."""
        thread = getattr(request, "removed_from_thread", None)
        if thread is None or not self.admin_site.is_registered(Thread):
            return super().response_delete(request, obj_display, obj_id)
        self.message_user(request, f"Removed “{obj_display}” from the pledge “{thread}”.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:commitments_thread_change", args=[thread.pk]))


@admin.register(LineOfEffort)
class LineOfEffortAdmin(VersionedAdminMixin, HistoryAdmin):
    list_display = ["position", "name", "slug", "commitment_count"]
    list_display_links = ["name"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = LineOfEffort.CURATED_FIELDS
    # Said again for the counted queryset (see ThreadAdmin).
    ordering = LineOfEffort._meta.ordering

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(commitment_count=Count("commitments"))

    @admin.display(description="commitments", ordering="commitment_count")
    def commitment_count(self, obj):
        return obj.commitment_count


# A statement's page lists and adds the commitments that quote it. Statements belong to the meetings
# app, which knows nothing of commitments, so this app extends their admin rather than the reverse.
admin.site.unregister(Statement)


@admin.register(Statement)
class StatementAdmin(MeetingsStatementAdmin):
    # Right under the text: the list of what is already quoted, folded away (the text marks it all),
    # then the add form.
    inlines = [CommitmentListInline, CommitmentAddInline, *MeetingsStatementAdmin.inlines]

    def delete_blockers(self, request, obj):
        slugs = list(obj.commitments.order_by("start").values_list("slug", flat=True))
        noun = "commitment" if len(slugs) == 1 else "commitments"
        quoted = [f"It is quoted by {len(slugs)} {noun}: {', '.join(slugs)}."] if slugs else []
        return [*super().delete_blockers(request, obj), *quoted]

    def marks(self, statement):
        commitments = [
            Mark(
                c.start,
                c.end,
                "commitment",
                c.slug,
                f"Commitment {c.slug}: {c.summary}",
                reverse("admin:commitments_commitment_change", args=[c.pk]),
            )
            for c in statement.commitments.only("pk", "slug", "start", "end", "summary", "statement_id")
        ]
        return [*commitments, *super().marks(statement)]

    def selection_actions(self, request, statement):
        actions = super().selection_actions(request, statement)
        if request.user.has_perm("commitments.add_commitment"):
            url = reverse("admin:commitments_commitment_add") + f"?statement={statement.pk}"
            actions.insert(0, ("New commitment from selection", url))
        return actions
