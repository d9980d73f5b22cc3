"""Publishing a draft meeting (`meetings.drafts`): one action, after a check that the record is complete.

The admin's action and the API's `POST /api/v1/meetings/{slug}/publish/` both call `publish_meeting`.
It publishes the meeting and every draft statement of it, with everything quoting them, in one
transaction, and refuses, naming each problem, while anything to publish breaks a rule a curator's
form would hold it to: a commitment not filed under a line of effort, a quote that is not its
statement's text at its offsets, a required field left empty, a recurring pledge out of order.
Published records stay published: there is no way back to a draft.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q

from meetings.models import Figure, Meeting, Participation, Statement

from .models import Assessment, Commitment, Evidence, Thread, ThreadEntry


class NotComplete(Exception):
    """The meeting cannot be published yet: `problems` names each missing or broken item."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("This meeting cannot be published yet: " + "; ".join(problems))


@dataclass
class PublishPlan:
    """What publishing a meeting would make public, and what stops it."""

    meeting: Meeting
    statements: list[Statement]  # the drafts among its statements (all of them for a draft meeting)
    counts: dict[str, int]  # {what: how many}, e.g. {"commitments": 12}
    problems: list[str] = field(default_factory=list)

    def has_anything(self) -> bool:
        return self.meeting.draft or bool(self.statements)

    def summary(self) -> list[str]:
        """“2 statements”, “12 commitments”, …: each kind of record it publishes, counted."""
        statements = len(self.statements)
        lines = [f"{statements} statement{'' if statements == 1 else 's'}"]
        for name, count in self.counts.items():
            lines.append(f"{count} {name if count != 1 else SINGULAR[name]}")
        return lines


PUBLISHED_REASON = "Published (was a draft)"

SINGULAR = {
    "commitments": "commitment",
    "places in recurring pledges": "place in a recurring pledge",
    "figures": "figure",
    "participation records": "participation record",
    "assessments": "assessment",
    "evidence items": "evidence item",
}


def _problems_of(kind: str, records: Sequence[Model], key: Callable[[Any], str]) -> list[str]:
    """Each record's breaks of its own rules (`full_clean()` without the uniqueness queries), named."""
    problems = []
    for record in records:
        try:
            record.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                where = "" if name == "__all__" else f" ({name.replace('_', ' ')})"
                problems += [f"{kind} “{key(record)}”{where}: {message}" for message in messages]
    return problems


def publish_plan(meeting: Meeting) -> PublishPlan:
    """What publishing `meeting` would publish, counted, with every problem that stops it (none: it may)."""
    statements = list(meeting.statements.all() if meeting.draft else meeting.statements.filter(draft=True))
    ids = [statement.pk for statement in statements]
    commitments = list(Commitment.objects.filter(statement__in=ids).select_related("statement", "line_of_effort"))
    figures = list(Figure.objects.filter(statement__in=ids).select_related("statement"))
    # A draft meeting's records, also those no statement gives; else those of its draft statements.
    records = Q(statement__in=ids) | Q(meeting=meeting) if meeting.draft else Q(statement__in=ids)
    participations = list(Participation.objects.filter(records).select_related("meeting", "member", "statement"))
    evidence = list(Evidence.objects.filter(statement__in=ids).select_related("statement"))
    entries = ThreadEntry.objects.filter(commitment__in=[c.pk for c in commitments])
    problems = [
        *_problems_of("Statement", statements, lambda s: s.slug),
        *(
            f"Statement “{s.slug}”: its text does not match its SHA-256"
            for s in statements
            if not s.text_matches_digest()
        ),
        *(
            f"Commitment “{c.slug}”: not filed under a line of effort"
            for c in commitments
            if c.line_of_effort_id is None
        ),
        *_problems_of("Commitment", commitments, lambda c: c.slug),
        *_problems_of("Figure", figures, lambda f: f.slug),
        *_problems_of("Participation", participations, lambda p: p.key()),
        *_problems_of("Evidence", evidence, lambda e: e.slug),
        *ThreadEntry.objects.filter(thread__in=Thread.objects.filter(entries__in=entries)).rule_problems(),
    ]
    counts = {
        "commitments": len(commitments),
        "places in recurring pledges": entries.count(),
        "figures": len(figures),
        "participation records": len(participations),
        "assessments": Assessment.objects.filter(commitment__in=[c.pk for c in commitments]).count(),
        "evidence items": len(evidence),
    }
    return PublishPlan(meeting=meeting, statements=statements, counts=counts, problems=problems)


@transaction.atomic
def publish_meeting(*, meeting: Meeting, by: AbstractBaseUser | AnonymousUser | None = None) -> PublishPlan:
    """Publish the meeting and its draft statements at once, recorded in their history as `by`'s change.

    Raises NotComplete naming every problem, with nothing changed; ValueError when nothing is a draft.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    plan = publish_plan(meeting)
    if not plan.has_anything():
        raise ValueError(f"“{meeting.slug}” and its statements are published already.")
    if plan.problems:
        raise NotComplete(plan.problems)
    # The change's reason says what it was (history keeps 100 characters); the answer says how much.
    reason = PUBLISHED_REASON
    # A statement of a draft meeting not itself marked a draft is published with the meeting, unchanged.
    records: list[Meeting | Statement] = [meeting] if meeting.draft else []
    for record in [*records, *(statement for statement in plan.statements if statement.draft)]:
        record.draft = False
        # simple-history reads who and why from these (`AttributedHistory`).
        record._history_user = by  # type: ignore[union-attr]
        record._change_reason = reason  # type: ignore[union-attr]
        record.save(update_fields=["draft"])
    return plan
