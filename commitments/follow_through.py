"""Follow-through: the rules an assessment keeps, and the writes that keep them (issue 18).

The one home of these rules. `Assessment.clean()` calls `assessment_problems()`, so every form, the
API's serializers and the seed check agree; `record_assessment()` and `approve()` are the writes that
touch an assessment with its evidence rows, and check the rules on what they are about to store:

- every verdict but "not yet assessed" and "no evidence available" needs at least one evidence item;
- evidence quoted from a statement comes from a later meeting than the commitment's (a statement
  cannot report on a pledge made at its own meeting, or before it), and an outside source was not
  published before the commitment's meeting;
- an assessment in a cycle is dated within the cycle's window;
- a superseding assessment is of the same commitment, later, and says why;
- an approval is by another curator than the drafter, of the draft as the approver saw it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import ConcurrentChange

from .choices import VERDICT_STATUS, VERDICTS_WITHOUT_EVIDENCE, ReviewState, Verdict
from .models import Assessment, AssessmentEvidence, Evidence

# (evidence item, what the assessment relies on it for)
EvidenceUse = tuple[Evidence, str]


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
        evidence = (
            [link.evidence for link in assessment.evidence_links.select_related("evidence__statement__meeting")]
            if assessment.pk
            else []
        )
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
    return problems


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
