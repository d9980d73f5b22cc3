"""Ingesting a new statement: its text checked and stored, suggestions made, accepted or rejected by a curator.

The admin's review, the `ingest` command and the benchmark call these; accepting goes through the
curated write path (`commitments.services.place_in_thread`), so a suggestion becomes a commitment
exactly as a curator's own would.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from commitments.assessments import Evidence
from commitments.defaults import default_summary, guess_actor
from commitments.models import ChangeKind, Commitment, LineOfEffort, Thread
from commitments.services import place_in_thread
from core.spans import resolve_span, spans_overlap
from core.texts import DuplicateStatement, check_statement_text, sha256_hex
from meetings.models import Figure, Meeting, Participation, Qualifier, Statement

from .corpus import Before, StoredCorpus
from .defaults import default_commitment_slug, default_figure_metric, default_figure_slug
from .figures import Place
from .models import Suggestion, SuggestionKind, SuggestionStatus
from .ranking import Suggestions, suggest
from .suggested_facts import (
    accept_evidence,
    accept_participation,
    evidence_suggestions,
    kept_participations,
    participation_suggestions,
)

# A pledge offered with at least this score is preselected, so accepting places the commitment in it.
CONFIDENT_THREAD_SCORE = 0.3


class DryRun(Suggestions):
    """The dry run's JSON: the suggestions for a text, and the text's SHA-256."""

    sha256: str


def check_new_statement_text(text: str, name: str = "The text") -> None:
    """Refuse a text that cannot become a new statement: not a statement text (`core.texts`), or already stored.

    Raises `DuplicateStatement`, naming the stored statement, for a text identical to one.
    """
    check_statement_text(text, name)
    existing = Statement.objects.filter(sha256=sha256_hex(text)).values_list("slug", flat=True).first()
    if existing:
        raise DuplicateStatement(name, existing)


def suggestions_for_text(
    text: str, *, meeting: Meeting | None = None, position: int | None = None, exclude_statement: int | None = None
) -> DryRun:
    """The dry run: suggestions for a text against what is stored, as plain data; writes nothing.

    With a meeting, a pledge's change kind is against its latest commitment before the meeting (and,
    at the same meeting, before statement `position`); without one, against its latest commitment.
    """
    before: Before | None = None
    if meeting is not None:
        before = (meeting.start_date, position if position is not None else next_position(meeting))
    corpus = StoredCorpus(before=before, exclude_statement=exclude_statement)
    return {"sha256": sha256_hex(text), **suggest(text, corpus=corpus)}


def next_position(meeting: Meeting) -> int:
    """The position a new statement of the meeting takes: after the ones it has."""
    last = meeting.statements.aggregate(last=Max("position"))["last"]
    return (last or 0) + 1


@dataclass
class IngestResult:
    statement: Statement
    created: int  # suggestions made
    skipped: int  # spans a curator already decided (or quoted), not suggested again
    replaced: int  # undecided suggestions replaced by fresh ones


@transaction.atomic
def ingest_statement(
    *,
    text: str,
    meeting: Meeting | None = None,
    new_meeting: Mapping[str, Any] | None = None,
    slug: str,
    title: str,
    kind: str,
    issuer: str,
    draft: bool = True,
    **fields: Any,
) -> IngestResult:
    """Store a new statement (verbatim, with its SHA-256) and its suggestions; all or nothing.

    `meeting` is an existing Meeting, or `new_meeting` the fields of one to create in the same step.
    Both are drafts by default (`meetings.drafts`): readers see them once a curator publishes the meeting.
    Raises ValueError or ValidationError, with nothing created, for a text that cannot be a new
    statement (see `check_new_statement_text`) or an invalid statement or meeting.
    """
    check_new_statement_text(text)
    if meeting is None and new_meeting is not None:
        meeting = Meeting(**{"draft": draft, **new_meeting})
        meeting.full_clean()
        meeting.save()
    elif meeting is None or new_meeting is not None:  # neither given, or both
        raise ValueError("Give the meeting the statement was issued at, or the details of a new one.")
    statement = Statement(
        meeting=meeting,
        position=next_position(meeting),
        slug=slug,
        title=title,
        kind=kind,
        issuer=issuer,
        text=text,
        draft=draft,
        **fields,
    )
    statement.full_clean()
    statement.save()
    return suggest_for_statement(statement=statement)


@transaction.atomic
def suggest_for_statement(*, statement: Statement) -> IngestResult:
    """(Re)make the suggestions of a stored statement, keeping every decision.

    Undecided suggestions are replaced by fresh ones. A span that overlaps (by the evaluation's rule)
    one a curator accepted or rejected, or a commitment or figure already quoted from the statement,
    is not suggested again.
    """
    result = suggestions_for_text(
        statement.text, meeting=statement.meeting, position=statement.position, exclude_statement=statement.pk
    )
    kept: dict[str, list[tuple[int, int]]] = {
        SuggestionKind.COMMITMENT: list(statement.commitments.values_list("start", "end")),
        SuggestionKind.FIGURE: list(statement.figures.values_list("start", "end")),
        SuggestionKind.EVIDENCE: [
            (start, end)
            for start, end in statement.evidence_quotes.values_list("start", "end")
            if start is not None and end is not None
        ],
        SuggestionKind.PARTICIPATION: [],  # by member and role too: `kept_participations`
    }
    for kind, start, end in statement.suggestions.decided().values_list("kind", "start", "end"):
        kept[kind].append((start, end))
    participations_kept = kept_participations(statement)
    replaced, _ = statement.suggestions.pending().delete()
    lines: dict[str | None, int] = dict(LineOfEffort.objects.values_list("slug", "id"))  # None: no line suggested
    threads = dict(Thread.objects.values_list("slug", "id"))
    new: list[Suggestion] = []
    skipped = 0

    def decided(kind: str, item: Place) -> bool:
        return any(spans_overlap(item["start"], item["end"], start, end) for start, end in kept[kind])

    for item in result["suggestions"]:
        if decided(SuggestionKind.COMMITMENT, item):
            skipped += 1
            continue
        offered = item["threads"][0] if item["threads"] else None
        # The pledge preselected, when the best one is offered with confidence.
        top = offered if offered is not None and offered["score"] >= CONFIDENT_THREAD_SCORE else None
        new.append(
            Suggestion(
                statement=statement,
                kind=SuggestionKind.COMMITMENT,
                start=item["start"],
                end=item["end"],
                quote=item["quote"],
                cue=item["cue"][:200],
                strength=item["strength"],
                actor=guess_actor(statement.text, item["start"], item["end"], statement.issuer)[:200],
                line_of_effort_id=lines.get(item["line_of_effort"]),
                reason=item["reason"],
                threads=item["threads"],
                thread_id=threads.get(top["thread"]) if top is not None else None,
                change_kind=top["change_kind"] if top is not None else "",
            )
        )
    for figure in result["figures"]:
        if decided(SuggestionKind.FIGURE, figure):
            skipped += 1
            continue
        new.append(
            Suggestion(
                statement=statement,
                kind=SuggestionKind.FIGURE,
                start=figure["start"],
                end=figure["end"],
                quote=statement.text[figure["start"] : figure["end"]],
                value=None if figure["value"] is None else Decimal(str(figure["value"])),
                unit=figure["unit"][:50],
                qualifier=figure["qualifier"],
            )
        )
    more, more_skipped = participation_suggestions(statement, result["participations"], participations_kept)
    new += more
    skipped += more_skipped
    more, more_skipped = evidence_suggestions(statement, result["evidence"], kept[SuggestionKind.EVIDENCE])
    new += more
    skipped += more_skipped
    for suggestion in new:
        suggestion.full_clean(exclude=["statement"], validate_unique=False, validate_constraints=False)
    bulk_create_with_history(new, Suggestion)
    return IngestResult(statement=statement, created=len(new), skipped=skipped, replaced=replaced)


def _decide(suggestion: Suggestion, status: str, by: User, note: str = "") -> None:
    suggestion.status = status
    suggestion.decided_by = by
    suggestion.decided_at = timezone.now()
    suggestion.note = note
    suggestion.save()


def _pending_for_update(suggestion: Suggestion) -> Suggestion:
    locked = Suggestion.objects.select_for_update().select_related("statement__meeting").get(pk=suggestion.pk)
    if not locked.is_pending():
        raise ValidationError(f"This suggestion was already {locked.get_status_display().lower()}.")
    return locked


Accepted = Commitment | Figure | Participation | Evidence


@transaction.atomic
def accept_suggestion(*, suggestion: Suggestion, by: User, changes: Mapping[str, Any] | None = None) -> Accepted:
    """Accept a suggestion with a curator's changes: create the commitment (figure, participation...) it proposes.

    `changes` overrides the proposal field by field (quote, start, end, slug, line_of_effort, actor,
    strength, summary, assessable, note, deadline, deadline_text, amount, currency, thread,
    change_kind; for a figure slug, metric, value, unit, qualifier, note; for a participation
    member, role, note; for evidence slug, commitment, relied_on, self_reported, note). The record
    is validated by its model's full_clean() and a commitment is placed in its recurring pledge
    through place_in_thread, as the admin and the API do; evidence for a commitment goes into a
    draft assessment through `commitments.follow_through.record_assessment` (`ingest.suggested_facts`).
    Raises ValidationError with nothing changed.
    """
    suggestion = _pending_for_update(suggestion)
    changes = dict(changes or {})
    record: Accepted
    if suggestion.kind == SuggestionKind.PARTICIPATION:
        record = accept_participation(suggestion, changes, _span(suggestion, changes))
        suggestion.participation = record
    elif suggestion.kind == SuggestionKind.EVIDENCE:
        record, suggestion.assessment = accept_evidence(suggestion, changes, _span(suggestion, changes), by)
        suggestion.evidence = record
    elif suggestion.kind == SuggestionKind.FIGURE:
        record = _accept_figure(suggestion, changes)
        suggestion.figure = record
    else:
        record = _accept_commitment(suggestion, changes)
        suggestion.commitment = record
    _decide(suggestion, SuggestionStatus.ACCEPTED, by, changes.get("decision_note", ""))
    return record


def _span(suggestion: Suggestion, changes: Mapping[str, Any]) -> tuple[str, int, int]:
    quote = changes.get("quote") or suggestion.quote
    start = changes.get("start")
    if start is None and quote == suggestion.quote:
        start = suggestion.start
    return resolve_span(suggestion.statement, quote, start, changes.get("end") if start is not None else None)


def _accept_commitment(suggestion: Suggestion, changes: Mapping[str, Any]) -> Commitment:
    quote, start, end = _span(suggestion, changes)
    line = changes.get("line_of_effort", suggestion.line_of_effort)
    if line is None:
        raise ValidationError({"line_of_effort": "Choose the line of effort to file this commitment under."})
    commitment = Commitment(
        statement=suggestion.statement,
        quote=quote,
        start=start,
        end=end,
        slug=changes.get("slug") or default_commitment_slug(suggestion),
        line_of_effort=line,
        actor=changes.get("actor") or suggestion.actor or suggestion.statement.issuer,
        strength=changes.get("strength") or suggestion.strength,
        summary=changes.get("summary") or default_summary(quote),
        assessable=changes.get("assessable", True),
        note=changes.get("note", ""),
        deadline=changes.get("deadline"),
        deadline_text=changes.get("deadline_text", ""),
        amount=changes.get("amount"),
        currency=changes.get("currency", ""),
    )
    commitment.full_clean()
    commitment.save()
    thread = changes.get("thread", suggestion.thread)
    if thread is not None:
        kind = changes.get("change_kind") or suggestion.change_kind or _candidate_kind(suggestion, thread)
        place_in_thread(thread=thread, commitment=commitment, change_kind=kind, note=changes.get("thread_note", ""))
    return commitment


def _candidate_kind(suggestion: Suggestion, thread: Thread) -> str:
    """The change kind suggested against a pledge among the candidates; `new` for a pledge not among them."""
    for candidate in suggestion.threads:
        if candidate["thread"] == thread.slug:
            return candidate["change_kind"]
    return ChangeKind.NEW


def _accept_figure(suggestion: Suggestion, changes: Mapping[str, Any]) -> Figure:
    quote, start, end = _span(suggestion, changes)
    figure = Figure(
        statement=suggestion.statement,
        quote=quote,
        start=start,
        end=end,
        slug=changes.get("slug") or default_figure_slug(suggestion),
        metric=changes.get("metric") or default_figure_metric(suggestion),
        value=changes.get("value", suggestion.value),
        unit=changes.get("unit") or suggestion.unit or "units",
        qualifier=changes.get("qualifier") or suggestion.qualifier or Qualifier.EXACT,
        note=changes.get("note", ""),
    )
    figure.full_clean()
    figure.save()
    return figure


@transaction.atomic
def reject_suggestion(*, suggestion: Suggestion, by: User, note: str = "") -> Suggestion:
    """Reject a suggestion: nothing is created, and the span is not suggested again."""
    suggestion = _pending_for_update(suggestion)
    _decide(suggestion, SuggestionStatus.REJECTED, by, note)
    return suggestion


@transaction.atomic
def reopen_suggestion(*, suggestion: Suggestion, by: User) -> Suggestion:
    """Undo a rejection: the suggestion is pending again, and its history says who reopened it.

    Only a rejection is undone (an accepted suggestion created a record: delete or edit that instead).
    Refused when a commitment or figure quoted since covers the span, as suggesting again would skip it.
    """
    suggestion = Suggestion.objects.select_for_update().select_related("statement").get(pk=suggestion.pk)
    if suggestion.status != SuggestionStatus.REJECTED:
        status = suggestion.get_status_display().lower()
        raise ValidationError(f"Only a rejected suggestion can be reopened; this one is {status}.")
    statement = suggestion.statement
    records = statement.figures if suggestion.kind == SuggestionKind.FIGURE else statement.commitments
    for slug, start, end in records.values_list("slug", "start", "end"):
        if spans_overlap(suggestion.start, suggestion.end, start, end):
            raise ValidationError(f"“{slug}”, quoted from the statement since, covers this span: edit it instead.")
    suggestion.status = SuggestionStatus.PENDING
    suggestion.decided_by = suggestion.decided_at = None
    suggestion.note = ""
    suggestion._history_user = by  # type: ignore[attr-defined]  # simple_history's own hook
    suggestion._change_reason = "Reopened: the rejection was undone"  # type: ignore[attr-defined]
    suggestion.save()
    return suggestion


def accept_suggestions(
    *, suggestions: Iterable[Suggestion], by: User
) -> tuple[list[tuple[Suggestion, Accepted]], list[tuple[Suggestion, str]]]:
    """Accept several suggestions as proposed, each on its own: ([(suggestion, record)], [(suggestion, problem)]).

    One that cannot be accepted (no line of effort, say) is left pending with its reason; the others
    are accepted all the same. Each record comes with its suggestion, so that the caller can say
    what was done with which.
    """
    accepted: list[tuple[Suggestion, Accepted]] = []
    problems: list[tuple[Suggestion, str]] = []
    for suggestion in suggestions:
        try:
            accepted.append((suggestion, accept_suggestion(suggestion=suggestion, by=by)))
        except ValidationError as exc:
            problems.append((suggestion, "; ".join(exc.messages)))
    return accepted, problems
