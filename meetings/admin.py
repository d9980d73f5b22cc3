from django.contrib import admin
from django.db.models import Count, Prefetch
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .concurrency import VersionedAdminMixin
from .forms import StatementForm
from .inlines import AddOnlyInline, ReadOnlyInline
from .models import Figure, Meeting, Member, Participation, ParticipationRole, Statement
from .quotes import OptionalQuotePasteForm, QuoteAddInline, QuotePasteForm, quote_in_context


class StatementInline(ReadOnlyInline):
    model = Statement
    fields = ["position", "title", "kind", "issued_on", "sha256"]


class MeetingParticipationListInline(ReadOnlyInline):
    """Who hosted, joined or observed, per source: each record opens on its own page."""

    model = Participation
    fields = ["member", "role", "statement", "quote", "note"]
    verbose_name_plural = "participation"

    def get_queryset(self, request):
        # Member and statement names are shown on every row.
        return super().get_queryset(request).select_related("member", "statement").defer("statement__text")


class MeetingParticipationAddInline(AddOnlyInline):
    model = Participation
    form = OptionalQuotePasteForm
    fields = ["member", "role", "statement", "quote", "note"]
    autocomplete_fields = ["member", "statement"]
    verbose_name = "new participation record"
    verbose_name_plural = "add participation"


@admin.register(Meeting)
class MeetingAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "format", "city", "country", "start_date", "end_date", "date_precision", "statement_count"]
    list_filter = ["format", "country", "date_precision"]
    search_fields = ["name", "slug", "city", "country"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StatementInline, MeetingParticipationListInline, MeetingParticipationAddInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(statement_count=Count("statements"))

    @admin.display(description="statements", ordering="statement_count")
    def statement_count(self, obj):
        return obj.statement_count


class FigureListInline(ReadOnlyInline):
    model = Figure
    fields = ["slug", "quote", "metric", "value", "unit", "qualifier"]
    verbose_name_plural = "figures"


class FigureAddInline(QuoteAddInline):
    model = Figure
    fields = ["slug", "quote", "start", "end", "metric", "value", "unit", "qualifier", "note"]
    verbose_name = "new figure (paste its quote)"
    verbose_name_plural = "add figures"


@admin.register(Statement)
class StatementAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    form = StatementForm
    list_display = ["title", "meeting", "kind", "issued_on", "commitment_count", "figure_count", "short_sha256"]
    list_filter = ["kind", "meeting"]
    search_fields = ["title", "slug", "issuer", "publisher"]
    list_select_related = ["meeting"]
    autocomplete_fields = ["meeting"]
    prepopulated_fields = {"slug": ["title"]}
    # The commitments app adds its inlines before these (commitments import meetings, not the reverse).
    inlines = [FigureListInline, FigureAddInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                commitment_count=Count("commitments", distinct=True), figure_count=Count("figures", distinct=True)
            )
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_quoted():
            return ["sha256", "text"]
        return ["sha256"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.is_quoted():
            # A quoted statement's text cannot change, so there is nothing to upload.
            return [name for name in fields if name != "text_file"]
        return fields

    def has_delete_permission(self, request, obj=None):
        # Statements are the evidence every quote points into.
        return False

    @admin.display(description="commitments", ordering="commitment_count")
    def commitment_count(self, obj):
        return obj.commitment_count

    @admin.display(description="figures", ordering="figure_count")
    def figure_count(self, obj):
        return obj.figure_count

    @admin.display(description="SHA-256")
    def short_sha256(self, obj):
        return obj.sha256[:12]


class MemberParticipationInline(ReadOnlyInline):
    model = Participation
    fields = ["meeting", "role", "statement", "quote", "note"]

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
class MemberAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "joined_per_sources"]
    list_filter = ["kind", ConflictingJoinFilter]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
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
class ParticipationAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    form = OptionalQuotePasteForm
    list_display = ["member", "role", "meeting", "statement", "quote"]
    list_filter = ["role", "meeting", "member__kind"]
    search_fields = ["member__name", "quote", "note"]
    list_select_related = ["member", "meeting", "statement"]
    autocomplete_fields = ["meeting", "member", "statement"]
    fields = ["meeting", "member", "role", "statement", "quote", "start", "end", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("statement__text")


@admin.register(Figure)
class FigureAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    form = QuotePasteForm
    list_display = ["slug", "metric", "qualifier", "value", "unit", "meeting"]
    list_filter = ["metric", "qualifier", "statement__meeting"]
    search_fields = ["slug", "quote", "note"]
    autocomplete_fields = ["statement"]
    fields = [
        "slug",
        "statement",
        "quote",
        "start",
        "end",
        "in_context",
        "metric",
        "value",
        "unit",
        "qualifier",
        "note",
    ]
    readonly_fields = ["in_context"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement__meeting").defer("statement__text")

    @admin.display(description="meeting", ordering="statement__meeting__start_date")
    def meeting(self, obj):
        return obj.statement.meeting.short_name()

    @admin.display(description="quote in context")
    def in_context(self, obj):
        return quote_in_context(obj)
