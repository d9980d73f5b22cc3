"""Participation and evidence suggestions: made from the dry run's lists, accepted through the owners' rules.

`ingest.services` calls these. Accepting a participation creates the `meetings.Participation` through
its model's full_clean(), as the admin, the API and the seed builder do. Accepting evidence creates the
`commitments.Evidence` quote item (full_clean()) and, when the suggestion names an earlier commitment,
links it to a DRAFT assessment of that commitment through `commitments.follow_through.record_assessment`
with the verdict "not yet assessed" (the only verdicts that stand without a curator's reading are it
and "no evidence available", and there is evidence): a curator then reads the evidence, sets the
verdict, and another approves it, as for any draft. The draft is dated the statement's meeting's first
day; a draft of that commitment on that day already gets the evidence added; an approved assessment on
that day is left alone (the evidence item is created unlinked and the decision note says so).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from commitments.assessments import Assessment, Evidence
from commitments.choices import ReviewState, Verdict
from commitments.follow_through import record_assessment
from commitments.models import Commitment, Thread
from core.slugs import unique_slug
from core.spans import spans_overlap
from meetings.models import Member, Participation, ParticipationRole, Statement

from .models import SuggestedRole, Suggestion, SuggestionKind
from .participants import FoundParticipation, canonical
from .progress import EvidenceSuggestion

# What a stated role is recorded as: Participation has no co-chair role (co-chairs jointly host).
RECORDED_ROLE: dict[str, str] = {
    SuggestedRole.HOST: ParticipationRole.HOST,
    SuggestedRole.CO_CHAIR: ParticipationRole.HOST,
    SuggestedRole.NEW_MEMBER: ParticipationRole.NEW_MEMBER,
    SuggestedRole.OBSERVER: ParticipationRole.OBSERVER,
}

# (start, end, member name reduced, role) of a participation decided or recorded: not suggested again.
Kept = list[tuple[int, int, str, str]]


def kept_participations(statement: Statement) -> Kept:
    """The participations already decided (suggestions accepted or rejected) or quoted from the statement."""
    kept: Kept = [
        (start, end, canonical(name), role)
        for start, end, name, role in statement.suggestions.decided()
        .filter(kind=SuggestionKind.PARTICIPATION)
        .values_list("start", "end", "member_name", "role")
    ]
    recorded = {value: key for key, value in RECORDED_ROLE.items() if key != SuggestedRole.CO_CHAIR}
    for start, end, name, role in statement.participations.exclude(start=None).values_list(
        "start", "end", "member__name", "role"
    ):
        if start is not None and end is not None:
            kept.append((start, end, canonical(name), recorded.get(role, role)))
    return kept


def participation_suggestions(
    statement: Statement, found: Iterable[FoundParticipation], kept: Kept
) -> tuple[list[Suggestion], int]:
    """([new participation suggestions], how many were skipped as decided)."""
    members = dict(Member.objects.values_list("slug", "id"))
    new, skipped = [], 0
    for item in found:
        name = canonical(item["member"])
        role = item["role"]
        if any(
            n == name
            and (r == role or (role == SuggestedRole.CO_CHAIR and r == SuggestedRole.HOST))
            and spans_overlap(s, e, item["start"], item["end"])
            for s, e, n, r in kept
        ):
            skipped += 1
            continue
        new.append(
            _suggestion(
                statement,
                SuggestionKind.PARTICIPATION,
                item,
                member_name=item["member"][:200],
                member_id=members.get(item["member_slug"]) if item["member_slug"] else None,
                role=role,
                ordinal=item["ordinal"],
            )
        )
    return new, skipped


def evidence_suggestions(
    statement: Statement, found: Iterable[EvidenceSuggestion], kept: list[tuple[int, int]]
) -> tuple[list[Suggestion], int]:
    """([new evidence suggestions], how many were skipped as decided or already quoted as evidence)."""
    found = list(found)
    commitments = dict(
        Commitment.objects.filter(slug__in={e["commitment"] for e in found if e["commitment"]}).values_list(
            "slug", "id"
        )
    )
    named = {e["thread"] for e in found if e["thread"]}
    threads = dict(Thread.objects.filter(slug__in=named).values_list("slug", "id"))
    new, skipped = [], 0
    for item in found:
        if any(spans_overlap(s, e, item["start"], item["end"]) for s, e in kept):
            skipped += 1
            continue
        new.append(
            _suggestion(
                statement,
                SuggestionKind.EVIDENCE,
                item,
                reason=item["reason"][:300],
                evidence_for_id=commitments.get(item["commitment"] or ""),
                thread_id=threads.get(item["thread"] or ""),
            )
        )
    return new, skipped


def _suggestion(
    statement: Statement, kind: str, item: FoundParticipation | EvidenceSuggestion, **fields: Any
) -> Suggestion:
    return Suggestion(
        statement=statement,
        kind=kind,
        start=item["start"],
        end=item["end"],
        quote=item["quote"],
        cue=item["cue"][:200],
        **fields,
    )


def accept_participation(
    suggestion: Suggestion, changes: Mapping[str, Any], span: tuple[str, int, int]
) -> Participation:
    """Create the participation: `changes` may give member, role (a Participation role), note."""
    quote, start, end = span
    member = changes.get("member", suggestion.member)
    if member is None:
        raise ValidationError(
            {"member": f"No stored member is named “{suggestion.member_name}”: choose the member (or add it first)."}
        )
    role = changes.get("role") or RECORDED_ROLE[suggestion.role]
    notes = []
    if suggestion.role == SuggestedRole.CO_CHAIR and role == ParticipationRole.HOST:
        notes.append("Co-chair, as the statement says (recorded as host).")
    if suggestion.ordinal:
        notes.append(f"The statement welcomes it as the {suggestion.ordinal}{_suffix(suggestion.ordinal)} member.")
    participation = Participation(
        meeting=suggestion.statement.meeting,
        member=member,
        role=role,
        statement=suggestion.statement,
        quote=quote,
        start=start,
        end=end,
        note=changes.get("note") or " ".join(notes),
    )
    participation.full_clean()
    participation.save()
    return participation


def _suffix(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def accept_evidence(
    suggestion: Suggestion, changes: Mapping[str, Any], span: tuple[str, int, int], by: User
) -> tuple[Evidence, Assessment | None]:
    """Create the evidence quote item and, for a commitment, link it to a draft assessment (module docstring).

    `changes` may give slug, commitment (None: the evidence item only), relied_on, self_reported, note.
    """
    quote, start, end = span
    statement = suggestion.statement
    evidence = Evidence(
        statement=statement,
        quote=quote,
        start=start,
        end=end,
        slug=changes.get("slug") or unique_slug(f"{statement.slug}-evidence-{start}", Evidence),
        # A statement reports its own (its members') progress.
        self_reported=changes.get("self_reported", True),
        note=changes.get("note", ""),
    )
    evidence.full_clean()
    evidence.save()
    commitment = changes.get("commitment", suggestion.evidence_for)
    if commitment is None:
        return evidence, None
    day = statement.meeting.start_date
    assessment = Assessment.objects.filter(commitment=commitment, assessed_on=day).first()
    if assessment is not None and assessment.review_state != ReviewState.DRAFT:
        return evidence, None
    username = by.get_username()
    if assessment is None:
        assessment = Assessment(
            commitment=commitment,
            assessed_on=day,
            verdict=Verdict.NOT_ASSESSED,
            assessor=username,
            note=f"Drafted from an evidence suggestion of {statement.slug}: set the verdict after reading it.",
        )
    relied_on = changes.get("relied_on") or f"{statement.slug} reports: “{' '.join(quote.split())[:400]}”"
    record_assessment(assessment, [(evidence, relied_on)], drafted_by=assessment.drafted_by or username)
    return evidence, assessment
