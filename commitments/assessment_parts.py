"""An assessment's parts beside its evidence rows: per-member scores of a collective pledge and the
money stages of a pledge that names an amount (issue 18). Both are rows of the assessment (its version
covers them: `Assessment.VERSIONED_CHILDREN`), reviewed and approved with it.

Per-member scores follow the G7/G20 Research Group: each member that made the pledge scored -1 (no
compliance or contrary action), 0 (partial, work in progress) or +1 (full compliance); averages are
given as percentages per member and per commitment (`MemberScoreQuerySet`).

Money follows OCHA's Financial Tracking Service: pledged, committed and paid are separate stages, each
a row of its own with its own amount and the written evidence it rests on. A row per stage rather than
three amount columns on the assessment: a stage is a fact with its own source, an absent stage is no
row (never a zero), and no total column exists into which one stage could be summed with another. A
pledge is never counted as paid: `MoneyStageQuerySet.over_time()` reports each stage apart.

The rules are checked in one place each: a row's own (`member_score_problems`, `money_stage_problems`,
called by the rows' `clean()`), and the assessment's across its rows (`assessments.funding_stage_problems`,
called by `assessments.assessment_problems`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Avg, Case, Count, Exists, OuterRef, Q, Subquery, Value, When

from core.models import AttributedHistory, NaturalKeyModel, NaturalKeyQuerySet, TrackedHistory
from meetings.choices import ParticipationRole
from meetings.drafts import published_through
from meetings.models import Meeting, Member, Participation

from .assessments import STAGE_ORDER, Assessment, Evidence, prefetched
from .choices import FundingStage, ReviewState

# The member scores of the G7/G20 Research Group's scale.
MEMBER_SCORES = {
    -1: "−1: no compliance or contrary action",
    0: "0: partial, work in progress",
    1: "+1: full compliance",
}
# Each score's column where scores are counted (`MemberScoreQuerySet.percentages`, the verdicts aggregate by member).
SCORE_COLUMNS = {1: "plus_one", 0: "zero", -1: "minus_one"}
# The roles at a meeting that make a member party to its pledges: an observer attends but does not pledge.
PLEDGING_ROLES = (ParticipationRole.HOST, ParticipationRole.MEMBER, ParticipationRole.NEW_MEMBER)


def percent_of(average: float | Decimal | None) -> float | None:
    """An average score on -1..+1 as the G7/G20 Research Group's percentage: (average + 1) / 2 × 100,
    so -1 is 0 %, 0 is 50 % and +1 is 100 %; None where nothing is scored."""
    if average is None:
        return None
    return round((float(average) + 1) / 2 * 100, 1)


def _newest_approved(commitment: str, cycle: str | None = None) -> Subquery:
    """The newest approved assessment (in `cycle`, a cycle's slug, when given) of the commitment `commitment`
    names in the outer query: what is counted (an assessment it superseded stays visible, but is not
    counted twice)."""
    newest = Assessment.objects.newest_first_of(commitment)
    if cycle is not None:
        newest = newest.filter(cycle__slug=cycle)
    return Subquery(newest.values("pk")[:1])


class MemberScoreQuerySet(NaturalKeyQuerySet["MemberScore"]):
    def counted(self, cycle: str | None = None) -> MemberScoreQuerySet:
        """The scores readers see and averages count: those of each commitment's newest approved
        assessment (in `cycle`, a cycle's slug, when given), of a published commitment. Drafts, of an
        assessment or of a meeting, wait."""
        rows = self.filter(assessment__review_state=ReviewState.APPROVED)
        rows = rows.filter(published_through("assessment__commitment__statement"))
        return rows.filter(assessment=_newest_approved("assessment__commitment", cycle))

    def coverage(self, cycle: str | None = None) -> dict[str, int]:
        """{"assessed": the assessments counted (each commitment's newest approved, as `counted`), "unscored":
        how many of them carry no per-member score}, in one query: a reader is told how much of the
        follow-through the per-member percentages rest on, never left to guess."""
        counted = Assessment.objects.approved().filter(published_through("commitment__statement"))
        counted = counted.filter(pk=_newest_approved("commitment", cycle))
        scored = Exists(self.model.objects.filter(assessment=OuterRef("pk")))
        return counted.aggregate(assessed=Count("pk"), unscored=Count("pk", filter=~Q(scored)))

    def percentages(self, by: str, cycle: str | None = None) -> list[dict[str, Any]]:
        """The G7/G20 Research Group's compliance percentages, per member (`by="member"`) or per
        commitment (`by="commitment"`), in one query: [{slug, name, scored, plus_one, zero, minus_one,
        average, percent}] (`plus_one`, `zero`, `minus_one`: how many +1, 0 and -1 scores).

        The group scores each member -1, 0 or +1 per commitment and reports the averages "by member"
        and "by commitment" as percentages (e.g. the 2020 G20 Riyadh Summit Interim Compliance
        Report's "Interim Compliance by Member" and "by Commitment" tables,
        https://docslib.org/doc/6028069/2020-g20-riyadh-summit-interim-compliance-report-prepared-by;
        the G8/G20 Reference Manual for Commitment and Compliance Coding, section "Translated G8 and
        G20 Research Group Scores into a Percentage", https://studfile.net/preview/15199874/page:7).
        The mapping is the linear one, (average + 1) / 2 × 100 (`percent_of`): -1 is 0 %, +1 is 100 %.
        Only approved assessments count, each commitment's newest (`counted`).
        """
        if by == "member":
            keys = {"slug": "member__slug", "name": "member__name"}
        elif by == "commitment":
            keys = {"slug": "assessment__commitment__slug", "name": "assessment__commitment__summary"}
        else:
            raise ValueError(f"percentages by 'member' or 'commitment', not {by!r}")
        rows = (
            self.counted(cycle)
            .values(*keys.values())
            .annotate(
                scored=Count("pk"),
                average=Avg("score"),
                **{column: Count("pk", filter=Q(score=score)) for score, column in SCORE_COLUMNS.items()},
            )
            .order_by(keys["slug"])
        )
        return [
            {
                "slug": row[keys["slug"]],
                "name": row[keys["name"]],
                "scored": row["scored"],
                **{column: row[column] for column in SCORE_COLUMNS.values()},
                "average": round(float(row["average"]), 3),
                "percent": percent_of(row["average"]),
            }
            for row in rows
        ]


class MemberScore(NaturalKeyModel):
    """One member's score on a collective pledge, in one assessment (G7/G20 Research Group -1/0/+1)."""

    NATURAL_KEY = ("assessment__commitment__slug", "assessment__assessed_on", "member__slug")

    # Part of the assessment: it goes with it (assessments themselves are protected).
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="member_scores")
    # A scored member stays: its scores are evidence of follow-through.
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="scores")
    score = models.SmallIntegerField(choices=sorted(MEMBER_SCORES.items()))
    relied_on = models.TextField(help_text="What the score rests on, in a curator's words.")
    # Optional: one of the assessment's own evidence items, where one speaks of this member.
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="member_scores"
    )

    CURATED_FIELDS = ("assessment", "member", "score", "relied_on", "evidence")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = MemberScoreQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "member__slug"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "member"], name="memberscore_once"),
            models.CheckConstraint(condition=Q(score__in=list(MEMBER_SCORES)), name="memberscore_minus_one_to_one"),
        ]

    def __str__(self):
        return f"{self.member} on {self.assessment}: {self.score:+d}" if self.score is not None else str(self.member)

    def clean(self):
        super().clean()
        problems = member_score_problems(self)
        if problems:
            raise ValidationError(problems)


class MoneyStageQuerySet(NaturalKeyQuerySet["MoneyStage"]):
    def in_stage_order(self) -> MoneyStageQuerySet:
        """By assessment, then in the order money moves: pledged, committed, paid."""
        rank = Case(*(When(stage=stage, then=Value(i)) for i, stage in enumerate(STAGE_ORDER)), default=Value(9))
        return self.order_by("assessment_id", rank)

    def over_time(self, commitment_slug: str) -> list[dict[str, Any]]:
        """A pledge's money by date, for a chart, in one query: [{assessed_on, assessment, pledged,
        committed, paid, currency}] from its approved assessments, oldest first.

        Each stage is reported apart, None where the assessment records none: a pledge is never
        counted as committed or paid, and no stage is summed into another.
        """
        points = self._points(self.filter(assessment__commitment__slug=commitment_slug))
        return next(iter(points.values()), [])

    def over_time_of(self, commitment_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """`over_time` for several commitments at once (a recurring pledge's), in one query: {commitment id:
        its points}, only the commitments with money recorded on an approved assessment."""
        return self._points(self.filter(assessment__commitment_id__in=list(commitment_ids)))

    def _points(self, rows: MoneyStageQuerySet) -> dict[int, list[dict[str, Any]]]:
        """The approved stages of `rows`, as one point per commitment and date, each stage apart."""
        values = (
            rows.filter(assessment__review_state=ReviewState.APPROVED)
            .order_by("assessment__commitment_id", "assessment__assessed_on", "assessment_id")
            .values_list(
                "assessment__commitment_id",
                "assessment__commitment__slug",
                "assessment__assessed_on",
                "assessment__commitment__currency",
                "stage",
                "amount",
            )
        )
        points: dict[int, dict[datetime.date, dict[str, Any]]] = {}
        for commitment, slug, assessed_on, currency, stage, amount in values:
            point = points.setdefault(commitment, {}).setdefault(
                assessed_on,
                {
                    "assessed_on": assessed_on,
                    "assessment": f"{slug}@{assessed_on.isoformat()}",
                    **dict.fromkeys(FundingStage.values),
                    "currency": currency,
                },
            )
            point[stage] = amount
        return {commitment: list(by_date.values()) for commitment, by_date in points.items()}


class MoneyStage(NaturalKeyModel):
    """One stage of a pledge's money (pledged, committed or paid) as one assessment finds it: the amount,
    in the commitment's currency, and the assessment's evidence item that says so."""

    NATURAL_KEY = ("assessment__commitment__slug", "assessment__assessed_on", "stage")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="money_stages")
    stage = models.CharField(max_length=10, choices=FundingStage.choices)
    amount = models.DecimalField(max_digits=20, decimal_places=2, help_text="In the commitment's currency.")
    # Only written sources count: each stage rests on one of the assessment's evidence items.
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="money_stages")
    relied_on = models.TextField(help_text="Where the evidence gives this amount at this stage, in a curator's words.")

    CURATED_FIELDS = ("assessment", "stage", "amount", "evidence", "relied_on")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = MoneyStageQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "stage"]
        verbose_name = "money stage"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "stage"], name="moneystage_once_per_stage"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="moneystage_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_stage_display()} {self.amount}" if self.stage else "money stage"

    def clean(self):
        super().clean()
        problems = money_stage_problems(self)
        if problems:
            raise ValidationError(problems)


# -- the rules (each in one place; the rows' clean() and `assessments.assessment_problems` call them) -----


def _evidence_ids(assessment: Assessment) -> set[int] | None:
    """The evidence the assessment rests on: what it is about to store (`pending_evidence`) or its stored
    rows; None while a restore loads its rows (checked again once they are in)."""
    if assessment.children_loaded_later:
        return None
    if assessment.pending_evidence is not None:
        return {item.pk for item in assessment.pending_evidence}
    if assessment.pk is None:
        return set()
    links = prefetched(assessment, "evidence_links")  # `Assessment.objects.with_rule_inputs()`
    if links is not None:
        return {link.evidence_id for link in links}
    return set(assessment.evidence_links.values_list("evidence_id", flat=True))


def _took_part(meeting: Meeting, member_id: int) -> bool:
    """Whether the member pledged at the meeting (host, member or new member): read from the meeting's
    participations where prefetched (`Assessment.objects.with_rule_inputs()`), else in one query."""
    participations = prefetched(meeting, "participations")
    if participations is not None:
        return any(row.member_id == member_id and row.role in PLEDGING_ROLES for row in participations)
    return Participation.objects.filter(meeting=meeting, member=member_id, role__in=PLEDGING_ROLES).exists()


def _not_the_assessments(evidence_id: int | None, assessment: Assessment, known: set[int] | None) -> str | None:
    if evidence_id is None:
        return None
    known = _evidence_ids(assessment) if known is None else known
    if known is None or evidence_id in known:
        return None
    return "Give one of the assessment's own evidence items (add it to its evidence first)."


def _assessment_of(row: MemberScore | MoneyStage) -> Assessment | None:
    """The row's assessment, saved or not (an admin page's new one), once it names its commitment."""
    assessment = row.assessment if "assessment" in row._state.fields_cache or row.assessment_id else None
    return assessment if assessment is not None and assessment.commitment_id else None


def member_score_problems(
    row: MemberScore, *, took_part: bool | None = None, evidence_ids: set[int] | None = None
) -> dict[str, list[str]]:
    """{field: messages} for each rule a member score breaks.

    A writer of many rows at once (the demo generator) passes what it read for all of them in a few
    queries: whether the member took part in the pledge's meeting, and the assessment's evidence ids."""
    problems: dict[str, list[str]] = {}
    if row.score is not None and row.score not in MEMBER_SCORES:
        problems["score"] = [f"A member's score is -1, 0 or +1, not {row.score}."]
    assessment = _assessment_of(row)
    if assessment is None or not row.member_id:
        return problems
    meeting = assessment.commitment.statement.meeting
    if took_part is None:
        took_part = _took_part(meeting, row.member_id)
    if not took_part:
        problems["member"] = [
            f"{row.member} is not recorded as taking part in {meeting} (host, member or new member), where the "
            "pledge was made: only a member that made a pledge is scored on it."
        ]
    problem = _not_the_assessments(row.evidence_id, assessment, evidence_ids)
    if problem:
        problems["evidence"] = [problem]
    return problems


def money_stage_problems(row: MoneyStage, *, evidence_ids: set[int] | None = None) -> dict[str, list[str]]:
    """{field: messages} for each rule a money stage breaks (`evidence_ids`: as for `member_score_problems`)."""
    problems: dict[str, list[str]] = {}
    if row.amount is not None and row.amount < 0:
        problems["amount"] = ["An amount is never negative."]
    assessment = _assessment_of(row)
    if assessment is None:
        return problems
    if assessment.commitment.amount is None:
        problems["stage"] = [
            f"“{assessment.commitment.slug}” names no amount: only a pledge with an amount has money stages."
        ]
    else:
        problem = _not_the_assessments(row.evidence_id, assessment, evidence_ids)
        if problem:
            problems["evidence"] = [problem]
    return problems
