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
- an approval is by another curator than the drafter, of the draft as the approver saw it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import ConcurrentChange

from .assessments import Assessment, AssessmentEvidence, Evidence, assessment_problems
from .choices import VERDICT_STATUS, ReviewState

# (evidence item, what the assessment relies on it for)
EvidenceUse = tuple[Evidence, str]


def _status_of(assessment: Assessment) -> None:
    """Keep the older `status` in step with the verdict where the verdict has a counterpart."""
    if assessment.verdict in VERDICT_STATUS:
        assessment.status = VERDICT_STATUS[assessment.verdict]


@transaction.atomic
def record_assessment(assessment: Assessment, evidence: Iterable[EvidenceUse], *, drafted_by: str) -> Assessment:
    """Store a new draft assessment with its evidence, or refuse and store nothing.

    A refusal is a ValidationError naming the field."""
    uses = list(evidence)
    if assessment.pk is None:
        assessment.review_state = ReviewState.DRAFT
        assessment.drafted_by = drafted_by
        assessment.approved_by = ""
    _status_of(assessment)
    problems: dict[str, list[str]] = {}
    for item, relied_on in uses:
        if not relied_on.strip():
            problems.setdefault("evidence", []).append(f"Say what “{item.slug}” shows about the pledge (relied on).")
    if problems:
        raise ValidationError(problems)
    assessment.pending_evidence = [item for item, _ in uses]
    try:
        assessment.full_clean()
    finally:
        assessment.pending_evidence = None
    assessment.save()
    for item, relied_on in uses:
        AssessmentEvidence.objects.update_or_create(
            assessment=assessment, evidence=item, defaults={"relied_on": relied_on}
        )
    return assessment


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
