"""What became of each commitment: assessment cycles, evidence (a statement's quote or an outside written
source) and the dated, reviewed assessments that rest on it. The rules they keep live in
`commitments.follow_through`; `commitments.models` imports these models, so the app registers them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Self

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Prefetch, Q, Subquery

from core.models import AttributedHistory, NaturalKeyModel, NaturalKeyQuerySet, TrackedHistory
from meetings.drafts import ReaderMixin, published_through
from meetings.models import Meeting, QuotedSpan, Statement

from .choices import (
    VERDICT_SCORES,
    VERDICTS_WITHOUT_EVIDENCE,
    FundingStage,
    ImplementationStatus,
    ReviewState,
    Verdict,
)

# Where `AssessmentQuerySet.with_rule_inputs()` puts a relation's rows (a list: Django's own prefetch cache
# builds a queryset per row, which costs more than the rules it serves), and `prefetched` reads them.
PREFETCHED = "_rule_input_{}"


class AssessmentCycleQuerySet(ReaderMixin, NaturalKeyQuerySet["AssessmentCycle"]):
    """Assessment cycles: found by natural key."""

    def published(self) -> Self:
        """Cycles readers may see: from and to published meetings."""
        return self.filter(from_meeting__draft=False, to_meeting__draft=False)


class AssessmentCycle(NaturalKeyModel):
    """A window in which pledges are assessed: from one meeting (its first day) to another (its last day).

    "Berlin 2016 → Paris 2019 (final)" runs from the meeting that made the pledges to the next one,
    whose statements report on them; an interim cycle would end at a meeting in between.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, unique=True)
    # A cycle in use frames assessments: its meetings stay.
    from_meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="cycles_from")
    to_meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="cycles_to")

    CURATED_FIELDS = ("slug", "name", "from_meeting", "to_meeting")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = AssessmentCycleQuerySet.as_manager()

    class Meta:
        ordering = ["from_meeting__start_date", "to_meeting__start_date", "slug"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_meeting=F("to_meeting")), name="assessmentcycle_two_meetings"),
        ]

    def __str__(self):
        return self.name

    def window(self) -> tuple[datetime.date, datetime.date]:
        """The first and last day an assessment in this cycle may be dated."""
        return self.from_meeting.start_date, self.to_meeting.end_date

    def clean(self):
        super().clean()
        if self.from_meeting_id and self.to_meeting_id:
            if self.to_meeting.end_date < self.from_meeting.start_date:
                raise ValidationError({"to_meeting": "The cycle must end at a meeting after the one it starts at."})


class EvidenceQuerySet(ReaderMixin, NaturalKeyQuerySet["Evidence"]):
    """Evidence items: found by natural key."""

    def published(self) -> Self:
        """Evidence readers may see: an outside source, or a quote of a published statement."""
        return self.filter(Q(statement__isnull=True) | published_through("statement"))


class Evidence(QuotedSpan):
    """What an assessment relies on: either a quote from a statement in the tracker (offsets into its
    text, validated as a commitment's quote is) or an outside written source (address, title,
    publisher, date published and the passage relied on). Never both, never neither.

    One item may support several assessments (`AssessmentEvidence`, which says what each relies on it for).
    """

    # Quoted statements are evidence: they cannot be deleted while quoted.
    # Optional here, unlike other quoted spans: an outside source has no statement (mypy sees the base's type).
    statement = models.ForeignKey(  # type: ignore[assignment]
        Statement, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence_quotes"
    )
    start = models.PositiveIntegerField(  # type: ignore[assignment]
        null=True, blank=True, help_text="Offset of the quote's first character (0-based, in characters)."
    )
    end = models.PositiveIntegerField(  # type: ignore[assignment]
        null=True, blank=True, help_text="Offset just past the quote's last character."
    )
    quote = models.TextField(blank=True, help_text="Exactly the statement's text between the offsets.")

    slug = models.SlugField(max_length=160, unique=True)
    url = models.URLField("address", max_length=500, blank=True, help_text="An outside source's address.")
    title = models.CharField(max_length=300, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField("date published", null=True, blank=True)
    passage = models.TextField(blank=True, help_text="An outside source's passage relied on, in its own words.")
    self_reported = models.BooleanField(
        default=False, help_text="The source reports its own (or its members') progress."
    )
    note = models.TextField(blank=True)

    FIELD_GROUPS = {
        "quote": ("slug", "statement", "quote", "start", "end"),
        "outside source": ("url", "title", "publisher", "published_on", "passage"),
        "reading": ("self_reported", "note"),
    }
    CURATED_FIELDS = tuple(name for group in FIELD_GROUPS.values() for name in group)

    history = TrackedHistory(bases=[AttributedHistory])
    objects = EvidenceQuerySet.as_manager()

    class Meta(QuotedSpan.Meta):
        ordering = ["slug"]
        verbose_name_plural = "evidence"
        constraints = [
            *QuotedSpan.Meta.constraints,
            models.CheckConstraint(
                condition=(
                    Q(statement__isnull=False, start__isnull=False, end__isnull=False, url="", passage="")
                    & ~Q(quote="")
                )
                | (
                    Q(
                        statement__isnull=True,
                        start__isnull=True,
                        end__isnull=True,
                        quote="",
                        published_on__isnull=False,
                    )
                    & ~Q(url="")
                    & ~Q(title="")
                    & ~Q(publisher="")
                    & ~Q(passage="")
                ),
                name="evidence_quote_or_outside_source",
            ),
        ]

    def __str__(self):
        return self.slug

    @property
    def is_quote(self) -> bool:
        return self.statement_id is not None

    def clean(self):
        quoted = self.statement_id is not None or bool(self.quote) or self.start is not None or self.end is not None
        outside = {name: getattr(self, name) for name in ("url", "title", "publisher", "published_on", "passage")}
        if quoted and any(outside.values()):
            raise ValidationError(
                "Evidence is either a quote from a statement or an outside source, not both: clear one of them."
            )
        if quoted:
            if self.statement_id is None:
                raise ValidationError({"statement": "A quote needs the statement it is taken from."})
            if not self.quote:
                raise ValidationError({"quote": "Give the quote, as it stands in the statement."})
        else:
            missing = [name for name, value in outside.items() if not value]
            if len(missing) == len(outside):
                raise ValidationError(
                    "Give either a quote from a statement or an outside source (address, title, publisher, "
                    "date published, passage)."
                )
            if missing:
                raise ValidationError(dict.fromkeys(missing, "An outside source needs this."))
        super().clean()


class AssessmentQuerySet(ReaderMixin, NaturalKeyQuerySet["Assessment"]):
    def published(self) -> Self:
        """Assessments readers may see (approved or not): of a published commitment, relying on no draft's quote."""
        quoting_drafts = Evidence.objects.filter(statement__in=Statement.objects.drafts()).values("pk")
        return self.filter(published_through("commitment__statement")).exclude(
            evidence_links__evidence__in=quoting_drafts
        )

    def get_by_key(self, key: str) -> Assessment:
        """The record a `commitment@YYYY-MM-DD` key addresses; DoesNotExist for any other key."""
        slug, _, day = key.partition("@")
        try:
            assessed_on = datetime.date.fromisoformat(day)
        except ValueError:
            raise self.model.DoesNotExist(f"{key!r} is not {Assessment.KEY_FORMAT}") from None
        return self.get_by_natural_key(slug, assessed_on)

    def approved(self) -> Self:
        """The assessments a reviewer approved: the only ones readers see (drafts wait for review)."""
        return self.filter(review_state=ReviewState.APPROVED)

    def newest_first_of(self, commitment: str) -> Self:
        """The approved assessments of the commitment `commitment` names in an outer query (a relation to it,
        or "pk"), newest first: `[:1]` of it in a Subquery is the one readers see as its latest."""
        return self.approved().filter(commitment=OuterRef(commitment)).order_by("-assessed_on", "-pk")

    def latest_of(self, commitment_ids: Iterable[int]) -> dict[int, Assessment]:
        """{commitment id: its newest approved assessment} for the given commitments, in one query whatever
        their history."""
        return {assessment.commitment_id: assessment for assessment in self.newest_of(commitment_ids)}

    def with_rule_inputs(self) -> Self:
        """The assessments with every row their rules read fetched in a few queries for all of them, where
        each one's rules would read them row by row: its commitment, statement (not its text) and meeting
        with that meeting's participations, its cycle's meetings and the assessment it supersedes, its
        evidence rows with their statements' meetings, and its money stages. The rules
        (`assessment_problems`, and `assessment_parts`' rules of its member scores and money stages) read
        what is prefetched, else the database: a writer of many rows at once (a snapshot restore) reads so."""
        links = AssessmentEvidence.objects.select_related("evidence__statement__meeting").defer(
            "evidence__statement__text"
        )
        return (
            self.select_related(
                "commitment__statement__meeting", "cycle__from_meeting", "cycle__to_meeting", "supersedes"
            )
            .defer("commitment__statement__text")
            .prefetch_related(
                Prefetch("commitment__statement__meeting__participations", to_attr=PREFETCHED.format("participations")),
                Prefetch("evidence_links", queryset=links, to_attr=PREFETCHED.format("evidence_links")),
                Prefetch("money_stages", to_attr=PREFETCHED.format("money_stages")),
            )
        )

    def newest_of(self, commitment_ids: Iterable[int]) -> Self:
        """The newest approved assessment of each of the given commitments (those assessed and approved at all)."""
        newest = Assessment.objects.newest_first_of("commitment")
        return self.approved().filter(commitment_id__in=commitment_ids, pk=Subquery(newest.values("pk")[:1]))


class Assessment(NaturalKeyModel):
    """What became of a commitment, as known on a date. Assessments are added, never overwritten."""

    NATURAL_KEY = ("commitment__slug", "assessed_on")

    # An assessed commitment is evidence of follow-up: refuse to delete it.
    commitment = models.ForeignKey("commitments.Commitment", on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField()
    status = models.CharField(
        max_length=20,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.NOT_ASSESSED,
        help_text="Implementation. “Not yet assessed” never means inaction.",
    )
    funding_stage = models.CharField(
        max_length=10,
        choices=FundingStage.choices,
        blank=True,
        help_text="For money only: a pledge is never counted as money paid.",
    )
    evidence_url = models.URLField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    assessor = models.CharField(max_length=200, help_text="Who assessed.")
    # Follow-through (issue 18). Old rows have no cycle and the verdict "not yet assessed".
    cycle = models.ForeignKey(
        AssessmentCycle, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    verdict = models.CharField(
        max_length=20,
        choices=Verdict.choices,
        default=Verdict.NOT_ASSESSED,
        help_text="What became of the pledge, on the follow-through scale. Every verdict but “not yet assessed” "
        "and “no evidence available” needs evidence.",
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text="The earlier assessment this one recalibrates: both stay visible.",
    )
    supersede_reason = models.CharField(max_length=300, blank=True, help_text="Why, e.g. “recalibrated: new material”.")
    # Review: usernames as text, as `assessor`, so that snapshots carry them without user accounts.
    # Seeded rows are approved with both empty: the seed is curated and reviewed in the repository.
    review_state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.DRAFT)
    drafted_by = models.CharField(max_length=150, blank=True, help_text="The curator who drafted it.")
    approved_by = models.CharField(max_length=150, blank=True, help_text="The other curator who approved it.")

    CURATED_FIELDS = (
        "commitment",
        "assessed_on",
        "status",
        "funding_stage",
        "evidence_url",
        "note",
        "assessor",
        "cycle",
        "verdict",
        "supersedes",
        "supersede_reason",
    )
    # Set by review (`follow_through.approve`), never by an edit.
    REVIEW_FIELDS = ("review_state", "drafted_by", "approved_by")
    # Its evidence rows, per-member scores and money stages are part of what a reviewer approves:
    # its version covers them (`assessment_parts`).
    VERSIONED_CHILDREN = ("evidence_links", "member_scores", "money_stages")
    # The evidence `follow_through.record_assessment()` (or an admin page) is about to store with it, while
    # it validates.
    pending_evidence: list[Evidence] | None = None
    # The money stages an admin page is about to store with it, while it validates (`funding_stage_problems`).
    pending_stages: list[str] | None = None
    # Set by a snapshot restore, which loads the evidence rows after their assessments: the rules that
    # read them are checked once they are in.
    children_loaded_later: bool = False
    KEY_FORMAT = "commitment@YYYY-MM-DD"

    history = TrackedHistory(bases=[AttributedHistory])
    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["commitment", "-assessed_on"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "assessed_on"], name="assessment_one_per_day"),
            models.CheckConstraint(
                condition=Q(review_state=ReviewState.DRAFT) | Q(approved_by="") | ~Q(approved_by=F("drafted_by")),
                name="assessment_not_self_approved",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(supersede_reason=""), name="assessment_supersedes_says_why"
            ),
        ]

    def __str__(self):
        return f"{self.commitment.slug} on {self.assessed_on}: {self.get_status_display()}"

    def key(self) -> str:
        """The record's address in the API: `commitment@YYYY-MM-DD`."""
        slug, day = self.natural_key()
        return f"{slug}@{day}"

    @property
    def score(self) -> int | None:
        """The verdict's score: +1, 0 or -1, None where not scored (derived, never stored)."""
        return VERDICT_SCORES[self.verdict]

    @property
    def is_approved(self) -> bool:
        return self.review_state == ReviewState.APPROVED

    def clean(self):
        if self.funding_stage and self.commitment_id and self.commitment.amount is None:
            raise ValidationError({"funding_stage": "Only a commitment that names an amount has a funding stage."})
        problems = assessment_problems(self)
        if problems:
            raise ValidationError(problems)


class AssessmentEvidence(NaturalKeyModel):
    """One evidence item supporting one assessment, with what the assessment relies on it for."""

    NATURAL_KEY = ("assessment__commitment__slug", "assessment__assessed_on", "evidence__slug")

    # An assessment's evidence is part of it: it goes with it (assessments themselves are protected).
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence_links")
    # Evidence in use cannot be deleted from under a verdict.
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="assessment_links")
    relied_on = models.TextField(help_text="What this evidence shows about the pledge, in a curator's words.")

    CURATED_FIELDS = ("assessment", "evidence", "relied_on")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = NaturalKeyQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "evidence__slug"]
        verbose_name = "evidence of an assessment"
        verbose_name_plural = "evidence of assessments"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "evidence"], name="assessmentevidence_once"),
        ]

    def __str__(self):
        return f"{self.evidence} for {self.assessment}"


def prefetched(row: models.Model, relation: str) -> list | None:
    """The rows of `row`'s `relation` as prefetched with it (`AssessmentQuerySet.with_rule_inputs()`), None
    where they were not: a rule then reads them from the database."""
    return getattr(row, PREFETCHED.format(relation), None)


# -- the rules an assessment keeps (`commitments.follow_through` lists them; its writes call these) ------


def evidence_problem(assessment: Assessment, evidence: Evidence) -> str | None:
    """Why this evidence item cannot support this assessment, or None."""
    if not assessment.commitment_id:
        return None
    meeting = assessment.commitment.statement.meeting
    if evidence.statement is not None:
        source = evidence.statement.meeting
        if source.pk == meeting.pk or source.start_date < meeting.start_date:
            return (
                f"“{evidence.slug}” quotes {evidence.statement.slug}, from {source}: evidence must come from a "
                f"meeting after the one the pledge was made at ({meeting})."
            )
    elif evidence.published_on is not None and evidence.published_on < meeting.start_date:
        return (
            f"“{evidence.slug}” was published on {evidence.published_on}, before the pledge was made "
            f"({meeting}, {meeting.start_date})."
        )
    return None


def assessment_problems(assessment: Assessment, evidence: Sequence[Evidence] | None = None) -> dict[str, list[str]]:
    """{field: messages} for each rule the assessment breaks, given its evidence (its stored evidence
    rows when `evidence` is None)."""
    problems: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    if evidence is None:
        # What `record_assessment()` is about to store with it, while it validates the row.
        evidence = assessment.pending_evidence
    if evidence is None:
        links: Iterable[AssessmentEvidence] | None = prefetched(assessment, "evidence_links")  # `with_rule_inputs()`
        if links is None:
            links = assessment.evidence_links.select_related("evidence__statement__meeting") if assessment.pk else []
        evidence = [link.evidence for link in links]
    if assessment.children_loaded_later:
        evidence = None
    elif assessment.verdict not in VERDICTS_WITHOUT_EVIDENCE and not evidence:
        refuse(
            "verdict",
            f"The verdict “{Verdict(assessment.verdict).label}” needs at least one evidence item; with none, "
            "the verdict is “no evidence available”.",
        )
    for item in evidence or ():
        problem = evidence_problem(assessment, item)
        if problem:
            refuse("evidence", problem)
    if assessment.cycle is not None and assessment.assessed_on:
        first, last = assessment.cycle.window()
        if not first <= assessment.assessed_on <= last:
            refuse(
                "assessed_on",
                f"{assessment.assessed_on} is outside the cycle “{assessment.cycle}”, "
                f"which runs from {first} to {last}.",
            )
    earlier = assessment.supersedes if assessment.supersedes_id else None
    if earlier is not None:
        if assessment.pk and earlier.pk == assessment.pk:
            refuse("supersedes", "An assessment cannot supersede itself.")
        elif earlier.commitment_id != assessment.commitment_id:
            refuse("supersedes", "An assessment supersedes an earlier assessment of the same commitment only.")
        elif assessment.assessed_on and earlier.assessed_on >= assessment.assessed_on:
            refuse("supersedes", f"It supersedes an assessment of {earlier.assessed_on}: it must be dated later.")
        if not assessment.supersede_reason.strip():
            refuse("supersede_reason", "Say why it supersedes the earlier one, e.g. “recalibrated: new material”.")
    if assessment.review_state == ReviewState.APPROVED and assessment.approved_by:
        if assessment.approved_by == assessment.drafted_by:
            refuse("approved_by", "A draft is approved by another curator than the one who drafted it.")
    for name, messages in funding_stage_problems(assessment).items():
        for message in messages:
            refuse(name, message)
    return problems


# Stages in the order money moves: the furthest one recorded is the assessment's funding stage.
STAGE_ORDER = (FundingStage.PLEDGED, FundingStage.COMMITTED, FundingStage.PAID)


def furthest_stage(stages: Iterable[str]) -> str:
    """The furthest stage money reached among those recorded ("" for none): paid, else committed, else pledged."""
    recorded = set(stages)
    reached = [stage for stage in STAGE_ORDER if stage in recorded]
    return reached[-1] if reached else ""


def funding_stage_problems(assessment: Assessment) -> dict[str, list[str]]:
    """{field: messages}: an assessment with money stages (`assessment_parts.MoneyStage`) has as its
    funding stage the furthest one they record, never ahead of them nor behind (the stages an admin
    page is about to store, `pending_stages`, else its stored rows). One without keeps the older field."""
    if assessment.children_loaded_later:
        return {}
    stages = assessment.pending_stages
    if stages is None:
        rows = prefetched(assessment, "money_stages")  # `with_rule_inputs()`
        if rows is not None:
            stages = [row.stage for row in rows]
        else:
            stages = list(assessment.money_stages.values_list("stage", flat=True)) if assessment.pk else []
    expected = furthest_stage(stages)
    if not expected or assessment.funding_stage == expected:
        return {}
    return {
        "funding_stage": [
            f"The money stages recorded reach “{FundingStage(expected).label}”: the funding stage is that, "
            f"not “{assessment.funding_stage or 'none'}”."
        ]
    }
