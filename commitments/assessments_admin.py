"""The follow-through's admin: assessment cycles, evidence, and assessments with their evidence rows,
drafted by one curator and approved by another (`commitments.follow_through`)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core.admin.concurrency import VersionedAdminMixin, VersionedInlineMixin
from core.admin.filters import BoundedRelatedFilter
from core.admin.history import HistoryAdmin
from core.admin.paging import BoundedNavigationMixin
from core.admin.quotes import OptionalQuotePasteForm
from core.admin.reading import shortened
from core.admin.widgets import COMPACT_NOTES, URL_HTTPS
from core.exceptions import ConcurrentChange

from .assessments import furthest_stage
from .follow_through import approve
from .models import Assessment, AssessmentCycle, AssessmentEvidence, Evidence, MemberScore, MoneyStage, ReviewState


class AssessmentEvidenceInline(VersionedInlineMixin, admin.TabularInline):
    model = AssessmentEvidence
    fields = AssessmentEvidence.curated_fields(without=("assessment",))
    autocomplete_fields = ["evidence"]
    formfield_overrides = COMPACT_NOTES
    extra = 1


class MemberScoreInline(VersionedInlineMixin, admin.TabularInline):
    """A collective pledge's per-member scores (G7/G20 Research Group -1/0/+1), each row guarded against
    a stale page as the evidence rows are."""

    model = MemberScore
    fields = MemberScore.curated_fields(without=("assessment",))
    autocomplete_fields = ["member", "evidence"]
    formfield_overrides = COMPACT_NOTES
    extra = 0


class MoneyStageInline(VersionedInlineMixin, admin.TabularInline):
    """A pledge's money stages (pledged, committed, paid), each on one of the assessment's evidence items:
    the funding stage follows the furthest one."""

    model = MoneyStage
    fields = MoneyStage.curated_fields(without=("assessment",))
    autocomplete_fields = ["evidence"]
    formfield_overrides = COMPACT_NOTES
    extra = 0


class AssessmentForm(forms.ModelForm):
    """An assessment's form: its rules (`follow_through`) are checked with the evidence rows and money
    stages the page is about to save, not only those stored already; the funding stage follows the
    furthest money stage on the page, where there is one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data:
            ids = [int(pk) for pk in self._rows("evidence_links", "evidence") if str(pk).isdigit()]
            self.instance.pending_evidence = list(
                Evidence.objects.filter(pk__in=ids).select_related("statement__meeting").defer("statement__text")
            )
            self.instance.pending_stages = self._rows("money_stages", "stage")

    def _rows(self, prefix, name):
        """The value of `name` in each inline row of `prefix` the page keeps (not marked for deletion)."""
        values = []
        for index in range(_count(self.data.get(f"{prefix}-TOTAL_FORMS"))):
            value = self.data.get(f"{prefix}-{index}-{name}")
            if value and not self.data.get(f"{prefix}-{index}-DELETE"):
                values.append(value)
        return values

    def clean(self):
        cleaned = super().clean()
        stage = furthest_stage(self.instance.pending_stages or ())
        if stage:
            cleaned["funding_stage"] = stage
        return cleaned


def _count(value):
    try:
        return max(0, min(int(value), 1000))
    except (TypeError, ValueError):
        return 0


class WaitingForReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting for review"), ("approved", "Approved")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(review_state=ReviewState.DRAFT)
        if self.value() == "approved":
            return queryset.filter(review_state=ReviewState.APPROVED)
        return queryset


@admin.register(Assessment)
class AssessmentAdmin(BoundedNavigationMixin, VersionedAdminMixin, HistoryAdmin):
    form = AssessmentForm
    formfield_overrides = URL_HTTPS
    list_display = ["short_commitment", "assessed_on", "verdict", "status", "review_state", "drafted_by"]
    list_filter = [
        WaitingForReviewFilter,
        "verdict",
        "cycle",
        "status",
        "funding_stage",
        ("commitment__statement__meeting", BoundedRelatedFilter),
    ]
    search_fields = ["commitment__slug", "note", "assessor"]
    list_select_related = ["commitment"]
    autocomplete_fields = ["commitment", "supersedes"]
    date_hierarchy = "assessed_on"
    fields = [*Assessment.CURATED_FIELDS, *Assessment.REVIEW_FIELDS]
    readonly_fields = Assessment.REVIEW_FIELDS
    inlines = [AssessmentEvidenceInline, MemberScoreInline, MoneyStageInline]
    actions = ["approve_selected"]
    # Newest first by the primary key's index; the model's ordering (by commitment) sorts them all. Counted up
    # to a bound, deeper pages by key (`BoundedNavigationMixin`), as the commitments' list.
    ordering = ["-pk"]

    def has_delete_permission(self, request, obj=None):
        # The history of a status is kept: a wrong assessment is corrected, never removed.
        return False

    def delete_blockers(self, request, obj):
        return [
            f"It is the status of “{obj.commitment.slug}” as assessed on {obj.assessed_on:%Y-%m-%d}: the history of a "
            "status is kept. Correct it on its page, or record a newer assessment."
        ]

    @admin.display(description="commitment", ordering="commitment__slug")
    def short_commitment(self, obj):
        return shortened(obj.commitment.slug, 50)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.drafted_by = request.user.get_username()
            obj.review_state = ReviewState.DRAFT
        obj.pending_evidence = obj.pending_stages = None
        super().save_model(request, obj, form, change)

    @admin.action(description="Approve the selected drafts (as another curator than the drafter)")
    def approve_selected(self, request, queryset):
        approved = 0
        for assessment in queryset.filter(review_state=ReviewState.DRAFT):
            try:
                approve(assessment, approved_by=request.user.get_username(), version=assessment.version())
            except (ValidationError, ConcurrentChange) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{assessment.key()} not approved: {text}", messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(request, f"{approved} assessment(s) approved.", messages.SUCCESS)


@admin.register(AssessmentCycle)
class AssessmentCycleAdmin(VersionedAdminMixin, HistoryAdmin):
    list_display = ["name", "slug", "from_meeting", "to_meeting"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["from_meeting", "to_meeting"]
    prepopulated_fields = {"slug": ["name"]}
    fields = AssessmentCycle.CURATED_FIELDS


@admin.register(Evidence)
class EvidenceAdmin(VersionedAdminMixin, HistoryAdmin):
    # Paste a statement's quote (offsets found as for a commitment), or fill in an outside source.
    form = OptionalQuotePasteForm
    formfield_overrides = URL_HTTPS
    list_display = ["slug", "statement", "publisher", "published_on", "self_reported"]
    list_filter = ["self_reported", ("statement__meeting", BoundedRelatedFilter)]
    search_fields = ["slug", "quote", "passage", "title", "publisher"]
    autocomplete_fields = ["statement"]
    fields = Evidence.CURATED_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement").defer("statement__text")
