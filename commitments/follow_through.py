"""Follow-through: the writes that keep an assessment's rules (issue 18).

The rules are checked in one place, `commitments.assessments.assessment_problems()`, beside the model:
`Assessment.clean()` calls it, so every form, the API's serializers and the seed check agree.
`record_assessment()` and `approve()` here are the writes that touch an assessment with its evidence
rows, and check the rules on what they are about to store:

- every verdict but "not yet assessed" and "no evidence available" needs at least one evidence item;
- evidence quoted from a statement comes from a later meeting than the commitment's (a statement
  cannot report on a pledge made at its own meeting, or before it), and an outside source was not
  published before the commitment's meeting;
- an assessment in a cycle is dated within the cycle's window;
- a superseding assessment is of the same commitment, later, and says why;
- an approval is by another curator than the drafter, of the draft as the approver saw it;
- a member scored on a collective pledge took part in the meeting that made it, scored -1, 0 or +1
  (`assessment_parts`); money stages only for a pledge that names an amount, never negative, each
  resting on one of the assessment's evidence items, the funding stage the furthest one recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import ConcurrentChange
from meetings.models import Member

from .assessment_parts import MemberScore, MoneyStage
from .assessments import Assessment, AssessmentEvidence, Evidence, assessment_problems, furthest_stage
from .choices import VERDICT_STATUS, ReviewState

# (evidence item, what the assessment relies on it for)
EvidenceUse = tuple[Evidence, str]
# (member, score -1/0/+1, what the score rests on, one of the assessment's evidence items or None)
MemberUse = tuple[Member, int, str, Evidence | None]
# (stage, amount, the evidence item that gives it, what it rests on)
MoneyUse = tuple[str, Decimal, Evidence, str]


def _status_of(assessment: Assessment) -> None:
    """Keep the older `status` in step with the verdict where the verdict has a counterpart."""
    if assessment.verdict in VERDICT_STATUS:
        assessment.status = VERDICT_STATUS[assessment.verdict]


@transaction.atomic
def record_assessment(
    assessment: Assessment,
    evidence: Iterable[EvidenceUse],
    *,
    drafted_by: str,
    members: Iterable[MemberUse] = (),
    money: Iterable[MoneyUse] = (),
) -> Assessment:
    """Store a new draft assessment with its evidence, per-member scores and money stages, or refuse and
    store nothing. The funding stage is the furthest money stage given, where any is.

    A refusal is a ValidationError naming the field."""
    uses, scores, stages = list(evidence), list(members), list(money)
    if assessment.pk is None:
        assessment.review_state = ReviewState.DRAFT
        assessment.drafted_by = drafted_by
        assessment.approved_by = ""
    _status_of(assessment)
    problems: dict[str, list[str]] = {}
    for name, given in (("members", [m.pk for m, *_ in scores]), ("money", [stage for stage, *_ in stages])):
        if len(set(given)) < len(given):
            problems[name] = [f"Each {'member' if name == 'members' else 'stage'} is given once per assessment."]
    for item, relied_on in uses:
        if not relied_on.strip():
            problems.setdefault("evidence", []).append(f"Say what “{item.slug}” shows about the pledge (relied on).")
    if problems:
        raise ValidationError(problems)
    if stages:
        assessment.funding_stage = furthest_stage(stage for stage, *_ in stages)
    assessment.pending_evidence = [item for item, _ in uses]
    assessment.pending_stages = [stage for stage, *_ in stages] or None
    try:
        assessment.full_clean()
    finally:
        assessment.pending_evidence = assessment.pending_stages = None
    assessment.save()
    for item, relied_on in uses:
        AssessmentEvidence.objects.update_or_create(
            assessment=assessment, evidence=item, defaults={"relied_on": relied_on}
        )
    rows = [
        MemberScore(assessment=assessment, member=member, score=score, relied_on=relied_on, evidence=item)
        for member, score, relied_on, item in scores
    ] + [
        MoneyStage(assessment=assessment, stage=stage, amount=amount, evidence=item, relied_on=relied_on)
        for stage, amount, item, relied_on in stages
    ]
    _store_parts(rows)
    return assessment


def _store_parts(rows: list[MemberScore | MoneyStage]) -> None:
    """Validate every part row (its own rules and uniqueness), refusing them all at once, then store them."""
    problems: dict[str, list[str]] = {}
    for row in rows:
        try:
            row.full_clean(exclude=["assessment"])
            row.validate_constraints()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                problems.setdefault(name if name != "__all__" else "members", []).extend(messages)
    if problems:
        raise ValidationError(problems)
    for row in rows:
        row.save()


@transaction.atomic
def approve(assessment: Assessment, *, approved_by: str, version: str) -> Assessment:
    """Approve a draft as the approver saw it (`version`, from `Assessment.version()`), or refuse.

    Refused when the approver drafted it (ValidationError on `approved_by`), when it is approved
    already or was changed since the approver read it, its evidence rows included (ConcurrentChange:
    two curators approving at once, the second finds it changed), or when it breaks a rule.
    """
    try:
        assessment.refresh_locked()
    except Assessment.DoesNotExist:
        raise ConcurrentChange("The assessment was deleted meanwhile.") from None
    if assessment.review_state == ReviewState.APPROVED:
        raise ConcurrentChange(
            f"“{assessment.key()}” was approved meanwhile, by {assessment.approved_by or 'the seed'}."
        )
    if assessment.version() != version:
        changed = ", ".join(assessment.changed_since(version))
        raise ConcurrentChange(
            f"“{assessment.key()}” was changed since you read it ({changed}): read it again before approving."
        )
    if not approved_by or approved_by == assessment.drafted_by:
        raise ValidationError({"approved_by": "A draft is approved by another curator than the one who drafted it."})
    problems = assessment_problems(assessment)
    if problems:
        raise ValidationError(problems)
    assessment.review_state = ReviewState.APPROVED
    assessment.approved_by = approved_by
    assessment.save(update_fields=["review_state", "approved_by"])
    return assessment
