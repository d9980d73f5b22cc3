"""Assessments, assessment cycles and evidence as they stood at a moment: the API's reads of them as of a date.

Read only through `core.as_of`, as `commitments.past` reads a pledge: each list is a queryset of historical
rows (their fields then) to filter, order and page as today's list is, and a page is written from the rows of
then it joins by id, a fixed number of queries whatever the history's length. What a reader who does not see
drafts is shown is today's rule on the rows of then: an approved assessment (its review state then) of a
commitment quoting a published statement then, relying on no evidence that quoted a draft then; evidence that
is an outside source or quotes a published statement then; a cycle between two published meetings then.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from core.as_of import records_as_of, records_of, standing, value_as_of
from meetings.models import Meeting, Member, Statement

from .assessment_parts import MemberScore, MoneyStage
from .assessments import STAGE_ORDER
from .models import (
    Assessment,
    AssessmentCycle,
    AssessmentEvidence,
    Commitment,
    Evidence,
    ImplementationStatus,
    ReviewState,
    Verdict,
)
from .past import _by_id


def _quoting(model, prefix: str, when: datetime.datetime):
    """`model`'s rows standing at `when`, annotated with the `draft` flags then of the statement (and its
    meeting) reached through `prefix`: NULL where the history does not hold them then."""
    return standing(model, when).annotate(
        statement_draft=value_as_of(model, f"{prefix}__draft", when),
        meeting_draft=value_as_of(model, f"{prefix}__meeting__draft", when),
    )


# -- evidence ------------------------------------------------------------------------------------------


def evidence_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The evidence items as they stood at `when`, as historical rows: outside sources, and quotes of a
    statement the history holds then (of a published one, for a reader who does not see drafts)."""
    rows = _quoting(Evidence, "statement", when)
    outside = Q(statement_id__isnull=True)
    if sees_drafts:
        return rows.filter(outside | Q(meeting_draft__isnull=False))
    return rows.filter(outside | Q(statement_draft=False, meeting_draft=False))


def write_evidence_as_of(rows, when: datetime.datetime) -> list[Evidence]:
    """A page of `evidence_as_of` rows as Evidence instances of then, each with its statement of then (its
    text left out) for `EvidenceSerializer`: one query, none when no item quotes a statement."""
    items = records_of(Evidence, rows)
    _join_statements(items, when)
    return items


def _join_statements(items, when: datetime.datetime) -> None:
    quoted = {item.statement_id for item in items if item.statement_id}
    statements = _by_id(records_as_of(Statement, when, leave_out=("text",), id__in=quoted)) if quoted else {}
    for item in items:
        if item.statement_id:
            item.statement = statements.get(item.statement_id)


# -- assessment cycles -----------------------------------------------------------------------------------


def cycles_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The assessment cycles as they stood at `when`, as historical rows annotated `from_start` and `to_start`
    (their meetings' first days then, which today's list is ordered by): those between two meetings the history
    holds then (two published ones, for a reader who does not see drafts)."""
    rows = standing(AssessmentCycle, when).annotate(
        from_start=value_as_of(AssessmentCycle, "from_meeting__start_date", when),
        to_start=value_as_of(AssessmentCycle, "to_meeting__start_date", when),
        from_draft=value_as_of(AssessmentCycle, "from_meeting__draft", when),
        to_draft=value_as_of(AssessmentCycle, "to_meeting__draft", when),
    )
    if sees_drafts:
        return rows.filter(from_draft__isnull=False, to_draft__isnull=False)
    return rows.filter(from_draft=False, to_draft=False)


def write_cycles_as_of(rows, when: datetime.datetime) -> list[AssessmentCycle]:
    """A page of `cycles_as_of` rows as AssessmentCycle instances of then, with their meetings of then (which
    their `window()` reads): one query."""
    cycles = records_of(AssessmentCycle, rows)
    ids = {cycle.from_meeting_id for cycle in cycles} | {cycle.to_meeting_id for cycle in cycles}
    meetings = _by_id(records_as_of(Meeting, when, id__in=ids)) if ids else {}
    for cycle in cycles:
        cycle.from_meeting, cycle.to_meeting = meetings[cycle.from_meeting_id], meetings[cycle.to_meeting_id]
    return cycles


# -- assessments -----------------------------------------------------------------------------------------


def _newest_approved_then(when: datetime.datetime, commitment: str = "id"):
    """The approved assessments standing at `when` of the commitment `commitment` names in the outer query,
    newest first (`AssessmentQuerySet.newest_first_of` on the rows of then)."""
    approved = standing(Assessment, when).filter(review_state=ReviewState.APPROVED)
    return approved.filter(commitment_id=OuterRef(commitment)).order_by("-assessed_on", "-id")


def latest_status_then(when: datetime.datetime):
    """The status of the newest approved assessment then of the commitment row it annotates (historical or
    live, by its `id`), else "not yet assessed": the stored `Commitment.latest_status`, worked out on the rows
    of then."""
    newest = _newest_approved_then(when).values("status")[:1]
    return Coalesce(Subquery(newest), Value(ImplementationStatus.NOT_ASSESSED.value))


def verdict_then(when: datetime.datetime, commitment: str = "id"):
    """The verdict of the newest approved assessment then of the commitment `commitment` names in the outer
    query, else "not yet assessed" (`verdicts.newest_verdict`)."""
    newest = _newest_approved_then(when, commitment).values("verdict")[:1]
    return Coalesce(Subquery(newest), Value(Verdict.NOT_ASSESSED.value))


def counted_then(when: datetime.datetime):
    """The assessments whose scores the aggregates count at `when` (`MemberScoreQuerySet.counted` on the rows
    of then): each published commitment's newest approved assessment then."""
    rows = _quoting(Assessment, "commitment__statement", when).filter(statement_draft=False, meeting_draft=False)
    return rows.filter(id=Subquery(_newest_approved_then(when, "commitment_id").values("id")[:1]))


def assessments_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The assessments as they stood at `when`, as historical rows annotated `commitment_slug` (its commitment's
    slug then, which today's list is ordered by): those of a commitment the history holds then; for a reader
    who does not see drafts, approved then, of a published commitment then, relying on no draft's quote then."""
    rows = _quoting(Assessment, "commitment__statement", when).annotate(
        commitment_slug=value_as_of(Assessment, "commitment__slug", when)
    )
    if sees_drafts:
        return rows.filter(meeting_draft__isnull=False)
    drafts_quoted = evidence_as_of(when, sees_drafts=True).filter(Q(statement_draft=True) | Q(meeting_draft=True))
    relying = standing(AssessmentEvidence, when).filter(
        assessment_id=OuterRef("id"), evidence_id__in=drafts_quoted.values("id")
    )
    rows = rows.filter(statement_draft=False, meeting_draft=False, review_state=ReviewState.APPROVED)
    return rows.exclude(Exists(relying))


def write_assessments_as_of(rows, when: datetime.datetime) -> list[Assessment]:
    """A page of `assessments_as_of` rows as Assessment instances of then for `AssessmentSerializer`: each with
    its commitment, cycle and superseded assessment, its evidence rows, members' scores and money stages then
    (prefetched as today's list has them), their evidence, statements and members then. Nine queries, fewer
    where a page has nothing to join (no cycle, no score...), whatever the history's length."""
    page = records_of(Assessment, rows)
    ids = [assessment.pk for assessment in page]
    superseded = {a.supersedes_id for a in page if a.supersedes_id}
    earlier = _by_id(records_as_of(Assessment, when, id__in=superseded)) if superseded else {}
    commitment_ids = {a.commitment_id for a in [*page, *earlier.values()]}
    commitments = _by_id(records_as_of(Commitment, when, leave_out=("quote",), id__in=commitment_ids))
    cycle_ids = {a.cycle_id for a in page if a.cycle_id}
    cycles = _by_id(records_as_of(AssessmentCycle, when, id__in=cycle_ids)) if cycle_ids else {}
    links = records_as_of(AssessmentEvidence, when, assessment_id__in=ids)
    scores = records_as_of(MemberScore, when, assessment_id__in=ids)
    stages = records_as_of(MoneyStage, when, assessment_id__in=ids)
    evidence_ids = {row.evidence_id for row in [*links, *scores, *stages] if row.evidence_id}
    evidence = _by_id(records_as_of(Evidence, when, id__in=evidence_ids)) if evidence_ids else {}
    _join_statements(list(evidence.values()), when)
    member_ids = {score.member_id for score in scores}
    members = _by_id(records_as_of(Member, when, id__in=member_ids)) if member_ids else {}
    scores = [score for score in scores if score.member_id in members]  # one the history lacks: left out
    for score in scores:
        score.member = members[score.member_id]
    written = []
    for assessment in page:
        commitment = commitments.get(assessment.commitment_id)
        if commitment is None:
            continue  # a history that does not reach back to its commitment: left out rather than guessed
        assessment.commitment = commitment
        assessment.cycle = cycles.get(assessment.cycle_id) if assessment.cycle_id else None
        if assessment.supersedes_id in earlier and earlier[assessment.supersedes_id].commitment_id in commitments:
            previous = earlier[assessment.supersedes_id]
            previous.commitment = commitments[previous.commitment_id]
            assessment.supersedes = previous
        assessment._prefetched_objects_cache = {
            "evidence_links": _parts(links, assessment, evidence, lambda link: link.evidence.slug),
            "member_scores": _parts(scores, assessment, evidence, lambda score: score.member.slug),
            "money_stages": _parts(stages, assessment, evidence, _stage_rank),
        }
        written.append(assessment)
    return written


def _stage_rank(stage) -> int:
    return STAGE_ORDER.index(stage.stage) if stage.stage in STAGE_ORDER else 9


def _parts(rows, assessment, evidence, order) -> list:
    """The rows of `assessment` among `rows`, each with its evidence of then (a row whose evidence the history
    does not hold then is left out), in `order`."""
    mine = []
    for row in rows:
        if row.assessment_id != assessment.pk:
            continue
        if row.evidence_id is not None:
            if row.evidence_id not in evidence:
                continue
            row.evidence = evidence[row.evidence_id]
        row.assessment = assessment
        mine.append(row)
    return sorted(mine, key=order)


def assessment_as_of(key: str, when: datetime.datetime, *, sees_drafts: bool = False) -> Assessment | None:
    """The assessment `key` (`commitment@YYYY-MM-DD`, the commitment's slug then) as it stood at `when`, or None
    if it was not in the record then, or not one a reader could see then."""
    slug, _, day = key.partition("@")
    try:
        assessed_on = datetime.date.fromisoformat(day)
    except ValueError:
        return None
    rows = assessments_as_of(when, sees_drafts=sees_drafts).filter(commitment_slug=slug, assessed_on=assessed_on)
    found = write_assessments_as_of(list(rows[:1]), when)
    return found[0] if found else None
