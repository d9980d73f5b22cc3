"""Synthetic per-member scores and money stages for generated assessments (issue 18), added by the demo
generator (`demo.synthetic.generate`) once its evidenced, approved assessments are in:

    add_member_scores_and_money(Assessment.objects.all(), seed=1)

Kept apart from `demo.synthetic`, which makes the assessments themselves. Every
row passes the models' own rules (`commitments.assessment_parts.member_score_problems` and
`money_stage_problems`, the funding stage through `assessments.funding_stage_problems`), fed with
what a chunk of assessments needs read in a few queries, so that 100,000 commitments stay minutes.
"""

import random
from decimal import Decimal

from django.db import transaction
from simple_history.utils import bulk_update_with_history

from changes.recording import record_reset
from commitments.assessment_parts import PLEDGING_ROLES, member_score_problems, money_stage_problems
from commitments.assessments import funding_stage_problems, furthest_stage
from commitments.choices import VERDICTS_WITHOUT_EVIDENCE
from commitments.models import Assessment, AssessmentEvidence, MemberScore, MoneyStage
from meetings.models import Participation

CHUNK = 2_000
# The share of a pledged amount committed, and of that paid, by verdict score: kept pledges move further.
STAGE_SHARES = {1: (Decimal("0.9"), Decimal("0.7")), 0: (Decimal("0.6"), Decimal("0.3")), -1: (Decimal("0.2"), None)}


@transaction.atomic
def add_member_scores_and_money(assessments, *, seed=1):
    """Score each member that took part in the pledge's meeting on each approved, evidenced assessment,
    near the assessment's own score, and give each pledge with an amount its money stages on the
    assessment's first evidence item; returns {label: rows added}. Refuses (ValueError) any row the
    rules refuse, naming it."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible from its seed
    rows = (
        assessments.approved()
        .exclude(verdict__in=VERDICTS_WITHOUT_EVIDENCE)
        .select_related("commitment__statement__meeting")
        .defer("commitment__statement__text")
        .order_by("pk")
    )
    counts = {"commitments.memberscore": 0, "commitments.moneystage": 0}
    chunk = []
    for assessment in rows.iterator(chunk_size=CHUNK):
        chunk.append(assessment)
        if len(chunk) == CHUNK:
            _add_chunk(chunk, rng, counts)
            chunk = []
    if chunk:
        _add_chunk(chunk, rng, counts)
    # Inserted in bulk, with no history row each: one `reset` in the change feed (docs/api.md).
    record_reset("Demo member scores and money stages added")
    return counts


def _add_chunk(chunk, rng, counts):
    meetings = {a.commitment.statement.meeting_id for a in chunk}
    pledging = {}
    for meeting, member in Participation.objects.filter(meeting__in=meetings, role__in=PLEDGING_ROLES).values_list(
        "meeting_id", "member_id"
    ):
        pledging.setdefault(meeting, set()).add(member)
    evidence = {}
    for assessment, item in AssessmentEvidence.objects.filter(assessment__in=chunk).values_list(
        "assessment_id", "evidence_id"
    ):
        evidence.setdefault(assessment, []).append(item)
    scores, stages, staged = [], [], []
    for assessment in chunk:
        known = set(evidence.get(assessment.pk, ()))
        for member in sorted(pledging.get(assessment.commitment.statement.meeting_id, ())):
            score = max(-1, min(1, assessment.score + rng.choice([-1, 0, 0, 0, 1])))
            row = MemberScore(assessment=assessment, member_id=member, score=score, relied_on="Synthetic score.")
            _check(row, member_score_problems(row, took_part=True, evidence_ids=known))
            scores.append(row)
        if assessment.commitment.amount is not None and known:
            made = _money(assessment, min(known), assessment.score)
            for row in made:
                _check(row, money_stage_problems(row, evidence_ids=known))
            assessment.funding_stage = furthest_stage(row.stage for row in made)
            assessment.pending_stages = [row.stage for row in made]
            _check(assessment, funding_stage_problems(assessment))
            assessment.pending_stages = None
            stages += made
            staged.append(assessment)
    _insert(MemberScore, scores, counts)
    _insert(MoneyStage, stages, counts)
    # With a history row each, so that the history says what the assessments say (an as-of export reads it).
    bulk_update_with_history(
        staged, Assessment, ["funding_stage"], batch_size=CHUNK, default_change_reason="Synthetic demo data"
    )


def _money(assessment, evidence_id, score):
    """Pledged in full, then committed and paid shares by score: each stage its own row, never summed."""
    pledged = assessment.commitment.amount
    committed_share, paid_share = STAGE_SHARES[score]
    amounts = [("pledged", pledged), ("committed", (pledged * committed_share).quantize(Decimal("0.01")))]
    if paid_share is not None:
        amounts.append(("paid", (pledged * committed_share * paid_share).quantize(Decimal("0.01"))))
    return [
        MoneyStage(assessment=assessment, stage=stage, amount=amount, evidence_id=evidence_id, relied_on="Synthetic.")
        for stage, amount in amounts
    ]


def _check(row, problems):
    if problems:
        raise ValueError(f"Generated {row._meta.verbose_name} {row} breaks its rules: {problems}")


def _insert(model, objects, counts):
    model.objects.bulk_create(objects, batch_size=CHUNK)
    model.history.bulk_history_create(objects, batch_size=CHUNK, default_change_reason="Synthetic demo data")
    counts[model._meta.label_lower] += len(objects)
