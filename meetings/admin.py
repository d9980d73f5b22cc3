from decimal import Decimal

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils.html import format_html

from core.admin.concurrency import VersionedAdminMixin
from core.admin.filters import BoundedRelatedFilter
from core.admin.history import HistoryAdmin
from core.admin.inlines import AddOnlyInline, ReadOnlyInline
from core.admin.quotes import OptionalQuotePasteForm, QuoteAddInline, QuotePasteForm, quote_in_context
from core.admin.reading import Mark, reading_view, shortened
from core.numbers import grouped, plain

from .forms import StatementForm
from .models import Figure, Meeting, Member, Participation, ParticipationRole, Statement


def draft_read_only(obj):
    """A record's draft flag is set when it is added; publishing (an action) clears it, never a form."""
    return ["draft"] if obj is not None else []


def new_draft(initial):
    """A record added in the admin starts as a draft, out of readers' sight (`meetings.drafts`)."""
    return {"draft": True, **initial}


class StatementInline(ReadOnlyInline):
    model = Statement
    fields = ["position", "title", "kind", "issued_on", "sha256"]


class MeetingParticipationListInline(ReadOnlyInline):
    """Who hosted, joined or observed, per source: each record opens on its own page."""

    model = Participation
    fields = Participation.curated_fields(without=("meeting", "start", "end"))
    verbose_name_plural = "participation"

    def get_queryset(self, request):
        # Member and statement names are shown on every row.
        return super().get_queryset(request).select_related("member", "statement").defer("statement__text")


class MeetingParticipationAddInline(AddOnlyInline):
    model = Participation
    form = OptionalQuotePasteForm
    fields = Participation.curated_fields(without=("meeting", "start", "end"))
    autocomplete_fields = ["member", "statement"]
    verbose_name = "new participation record"
    verbose_name_plural = "add participation"


@admin.register(Meeting)
class MeetingAdmin(VersionedAdminMixin, HistoryAdmin):
    list_display = [
        "name",
        "format",
        "city",
        "country",
        "start_date",
        "end_date",
        "date_precision",
        "statement_count",
        "draft",
    ]
    list_filter = ["draft", "format", "country", "date_precision"]
    search_fields = ["name", "slug", "city", "country"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StatementInline, MeetingParticipationListInline, MeetingParticipationAddInline]
    # The model's ordering, said again: a query with counts (GROUP BY) ignores Meta.ordering, and
    # autocompletes page through this queryset.
    ordering = Meeting._meta.ordering

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(statement_count=Count("statements"))

    def get_readonly_fields(self, request, obj=None):
        return draft_read_only(obj)

    def get_changeform_initial_data(self, request):
        return new_draft(super().get_changeform_initial_data(request))

    @admin.display(description="statements", ordering="statement_count")
    def statement_count(self, obj):
        return obj.statement_count


class FigureValueMixin:
    @admin.display(description="value", ordering="value")
    def value_shown(self, obj):
        return grouped(obj.value)


class FigureListInline(FigureValueMixin, ReadOnlyInline):
    model = Figure
    # The value as a number reads ("8,000,000"), not as stored ("8000000.0000").
    fields = [
        "value_shown" if name == "value" else name
        for name in Figure.curated_fields(without=("statement", "start", "end", "note"))
    ]
    verbose_name_plural = "figures"


class FigureAddInline(QuoteAddInline):
    model = Figure
    fields = Figure.curated_fields(without=("statement",))
    verbose_name = "new figure (paste its quote)"
    verbose_name_plural = "add figures"


@admin.register(Statement)
class StatementAdmin(VersionedAdminMixin, HistoryAdmin):
    form = StatementForm
    change_form_template = "meetings/admin/statement_change_form.html"
    list_display = ["title", "meeting_name", "kind", "issued_on", "commitment_count", "figure_count", "short_sha256"]
    list_filter = ["kind", ("meeting", BoundedRelatedFilter)]
    search_fields = ["title", "slug", "issuer", "publisher"]
    list_select_related = ["meeting"]
    autocomplete_fields = ["meeting"]
    prepopulated_fields = {"slug": ["title"]}
    # The commitments app adds its inlines before these (commitments import meetings, not the reverse).
    inlines = [FigureListInline, FigureAddInline]
    # Said again for the counted queryset (see MeetingAdmin).
    ordering = Statement._meta.ordering

    DETAILS = Statement.curated_fields(without=("text",), add=Statement.PUBLISHING_FIELDS)

    class Media:
        css = {"all": ["meetings/admin/reading.css"]}
        js = ["meetings/admin/reading-view.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_quote_counts()

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": [*self.DETAILS, "text", "text_file", "store_anyway"]})]
        # The text is read in the marked reading view below these (statement_change_form.html).
        fieldsets = [("Details", {"fields": [*self.DETAILS, "sha256"], "classes": ["collapse"]})]
        if not obj.is_quoted():
            fieldsets.append(("Change the text", {"fields": ["text", "text_file"], "classes": ["collapse"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_quoted():
            return ["sha256", "text", *draft_read_only(obj)]
        return ["sha256", *draft_read_only(obj)]

    def get_changeform_initial_data(self, request):
        return new_draft(super().get_changeform_initial_data(request))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        statement = self.get_object(request, unquote(object_id))
        if statement is not None:
            view = reading_view(statement.text, self.marks(statement), self.selection_actions(request, statement))
            extra_context = {**(extra_context or {}), "reading_view": view}
        return super().change_view(request, object_id, form_url, extra_context)

    def marks(self, statement):
        """The spans of the statement's text that records quote, for its reading view.

        Figures and participation records here; the commitments app adds its commitments.
        """
        figures = [
            Mark(f.start, f.end, "figure", f.slug, f"Figure {f.slug}: {f}", _change_url(f))
            for f in statement.figures.all()
        ]
        participations = [
            Mark(p.start, p.end, "participation", str(p.pk), f"Participation: {p}", _change_url(p))
            for p in statement.participations.filter(start__isnull=False).select_related("member", "meeting")
        ]
        return [*figures, *participations]

    def selection_actions(self, request, statement):
        """(label, url) of the add pages a selected passage of the text can start, as the user may add."""
        if not request.user.has_perm("meetings.add_figure"):
            return []
        return [("New figure from selection", reverse("admin:meetings_figure_add") + f"?statement={statement.pk}")]

    def has_delete_permission(self, request, obj=None):
        # Statements are the evidence every quote points into.
        return False

    def delete_blockers(self, request, obj):
        reasons = ["Statements are never deleted: they are the evidence every quote points into."]
        figures = list(obj.figures.values_list("slug", flat=True))
        if figures:
            noun = "figure" if len(figures) == 1 else "figures"
            reasons.append(f"It is quoted by {len(figures)} {noun}: {', '.join(figures)}.")
        participations = obj.participations.count()
        if participations:
            noun = "record" if participations == 1 else "records"
            reasons.append(f"It is the source of {participations} participation {noun}.")
        return reasons

    @admin.display(description="meeting", ordering="meeting__start_date")
    def meeting_name(self, obj):
        return obj.meeting.short_name()

    @admin.display(description="commitments", ordering="commitment_count")
    def commitment_count(self, obj):
        return obj.commitment_count

    @admin.display(description="figures", ordering="figure_count")
    def figure_count(self, obj):
        return obj.figure_count

    @admin.display(description="SHA-256")
    def short_sha256(self, obj):
        return format_html('<code title="{}">{}…</code>', obj.sha256, obj.sha256[:12])


def _change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


class MemberParticipationInline(ReadOnlyInline):
    model = Participation
    fields = Participation.curated_fields(without=("member", "start", "end"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("meeting", "statement").defer("statement__text")


class ConflictingJoinFilter(admin.SimpleListFilter):
    title = "sources on joining"
    parameter_name = "joining"

    def lookups(self, request, model_admin):
        return [("conflict", "Sources disagree on when it joined")]

    def queryset(self, request, queryset):
        if self.value() == "conflict":
            return queryset.filter(pk__in=Member.objects.with_conflicting_joins().values("pk"))
        return queryset


@admin.register(Member)
class MemberAdmin(VersionedAdminMixin, HistoryAdmin):
    list_display = ["name", "kind", "joined_per_sources"]
    list_filter = ["kind", ConflictingJoinFilter]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = Member.CURATED_FIELDS
    inlines = [MemberParticipationInline]

    def get_queryset(self, request):
        joins = Participation.objects.filter(role=ParticipationRole.NEW_MEMBER).select_related("meeting", "statement")
        # Feeds joined_per_sources without a query per row.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("participations", queryset=joins.defer("statement__text"), to_attr="joins"))
        )

    @admin.display(description="welcomed as new member (per source)")
    def joined_per_sources(self, obj):
        claims = [
            f"{p.meeting.start_date.year} ({p.statement.title if p.statement else 'external source'})"
            for p in obj.joins
        ]
        meetings = {p.meeting_id for p in obj.joins}
        text = "; ".join(claims) or "—"
        if len(meetings) > 1:
            return format_html('<strong title="The sources disagree">⚠ sources disagree:</strong> {}', text)
        return text


@admin.register(Participation)
class ParticipationAdmin(VersionedAdminMixin, HistoryAdmin):
    form = OptionalQuotePasteForm
    list_display = ["member", "role", "meeting_name", "statement", "short_quote"]
    list_filter = ["role", ("meeting", BoundedRelatedFilter), "member__kind"]
    search_fields = ["member__name", "quote", "note"]
    list_select_related = ["member", "meeting", "statement"]
    autocomplete_fields = ["meeting", "member", "statement"]
    fields = Participation.CURATED_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).defer("statement__text")

    @admin.display(description="meeting", ordering="meeting__start_date")
    def meeting_name(self, obj):
        return obj.meeting.short_name()

    @admin.display(description="quote")
    def short_quote(self, obj):
        return shortened(obj.quote, 60) or "—"


class FigureForm(QuotePasteForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.initial.get("value"), Decimal):
            self.initial["value"] = plain(self.initial["value"])  # 8000000, not 8000000.0000


@admin.register(Figure)
class FigureAdmin(FigureValueMixin, VersionedAdminMixin, HistoryAdmin):
    form = FigureForm
    list_display = ["slug", "metric", "qualifier", "value_shown", "unit", "meeting"]
    list_filter = ["metric", "qualifier", ("statement__meeting", BoundedRelatedFilter)]
    search_fields = ["slug", "quote", "note"]
    autocomplete_fields = ["statement"]
    fields = Figure.curated_fields(after="end", add=("in_context",))
    readonly_fields = ["in_context"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement__meeting").defer("statement__text")

    @admin.display(description="meeting", ordering="statement__meeting__start_date")
    def meeting(self, obj):
        return obj.statement.meeting.short_name()

    @admin.display(description="quote in context")
    def in_context(self, obj):
        return quote_in_context(obj)
