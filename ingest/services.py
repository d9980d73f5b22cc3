"""Ingesting a new statement: its text checked and stored, suggestions made, accepted or rejected by a curator.

The admin's review, the `ingest` command and the benchmark call these; accepting goes through the
curated write path (`commitments.services.place_in_thread`), so a suggestion becomes a commitment
exactly as a curator's own would.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from commitments.models import ChangeKind, Commitment, LineOfEffort, Thread, spans_overlap
from commitments.services import place_in_thread
from core.spans import resolve_span
from core.texts import DuplicateStatement, check_statement_text, sha256_hex
from meetings.models import Figure, Meeting, Qualifier, Statement

from .corpus import StoredCorpus
from .defaults import (
    default_commitment_slug,
    default_figure_metric,
    default_figure_slug,
    default_summary,
    guess_actor,
)
from .models import Suggestion, SuggestionKind, SuggestionStatus
from .ranking import suggest

# A pledge offered with at least this score is preselected, so accepting places the commitment in it.
CONFIDENT_THREAD_SCORE = 0.3


def check_new_statement_text(text, name="The text"):
    """Refuse a text that cannot become a new statement: not a statement text (`core.texts`), or already stored.

    Raises `DuplicateStatement`, naming the stored statement, for a text identical to one.
    """
    check_statement_text(text, name)
    existing = Statement.objects.filter(sha256=sha256_hex(text)).values_list("slug", flat=True).first()
    if existing:
        raise DuplicateStatement(name, existing)


def suggestions_for_text(text, *, meeting=None, position=None, exclude_statement=None):
    """The dry run: suggestions for a text against what is stored, as plain data; writes nothing.

    With a meeting, a pledge's change kind is against its latest commitment before the meeting (and,
    at the same meeting, before statement `position`); without one, against its latest commitment.
    """
    before = None
    if meeting is not None:
        before = (meeting.start_date, position if position is not None else next_position(meeting))
    corpus = StoredCorpus(before=before, exclude_statement=exclude_statement)
    return {"sha256": sha256_hex(text), **suggest(text, corpus=corpus)}


def next_position(meeting):
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
def ingest_statement(*, text, meeting=None, new_meeting=None, slug, title, kind, issuer, **fields):
    """Store a new statement (verbatim, with its SHA-256) and its suggestions; all or nothing.

    `meeting` is an existing Meeting, or `new_meeting` the fields of one to create in the same step.
    Raises ValueError or ValidationError, with nothing created, for a text that cannot be a new
    statement (see `check_new_statement_text`) or an invalid statement or meeting.
    """
    check_new_statement_text(text)
    if (meeting is None) == (new_meeting is None):
        raise ValueError("Give the meeting the statement was issued at, or the details of a new one.")
    if new_meeting is not None:
        meeting = Meeting(**new_meeting)
        meeting.full_clean()
        meeting.save()
    statement = Statement(
        meeting=meeting,
        position=next_position(meeting),
        slug=slug,
        title=title,
        kind=kind,
        issuer=issuer,
        text=text,
        **fields,
    )
    statement.full_clean()
    statement.save()
    return suggest_for_statement(statement=statement)


@transaction.atomic
def suggest_for_statement(*, statement):
    """(Re)make the suggestions of a stored statement, keeping every decision.

    Undecided suggestions are replaced by fresh ones. A span that overlaps (by the evaluation's rule)
    one a curator accepted or rejected, or a commitment or figure already quoted from the statement,
    is not suggested again.
    """
    result = suggestions_for_text(
        statement.text, meeting=statement.meeting, position=statement.position, exclude_statement=statement.pk
    )
    kept = {
        SuggestionKind.COMMITMENT: list(statement.commitments.values_list("start", "end")),
        SuggestionKind.FIGURE: list(statement.figures.values_list("start", "end")),
    }
    for kind, start, end in statement.suggestions.decided().values_list("kind", "start", "end"):
        kept[kind].append((start, end))
    replaced, _ = statement.suggestions.pending().delete()
    lines = dict(LineOfEffort.objects.values_list("slug", "id"))
    threads = dict(Thread.objects.values_list("slug", "id"))
    new, skipped = [], 0

    def decided(kind, item):
        return any(spans_overlap(item["start"], item["end"], start, end) for start, end in kept[kind])

    for item in result["suggestions"]:
        if decided(SuggestionKind.COMMITMENT, item):
            skipped += 1
            continue
        top = item["threads"][0] if item["threads"] else None
        confident = top is not None and top["score"] >= CONFIDENT_THREAD_SCORE
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
                thread_id=threads.get(top["thread"]) if confident else None,
                change_kind=top["change_kind"] if confident else "",
            )
        )
    for item in result["figures"]:
        if decided(SuggestionKind.FIGURE, item):
            skipped += 1
            continue
        new.append(
            Suggestion(
                statement=statement,
                kind=SuggestionKind.FIGURE,
                start=item["start"],
                end=item["end"],
                quote=statement.text[item["start"] : item["end"]],
                value=None if item["value"] is None else Decimal(str(item["value"])),
                unit=item["unit"][:50],
                qualifier=item["qualifier"],
            )
        )
    for suggestion in new:
        suggestion.full_clean(exclude=["statement"], validate_unique=False, validate_constraints=False)
    bulk_create_with_history(new, Suggestion)
    return IngestResult(statement=statement, created=len(new), skipped=skipped, replaced=replaced)


def _decide(suggestion, status, by, note=""):
    suggestion.status = status
    suggestion.decided_by = by
    suggestion.decided_at = timezone.now()
    suggestion.note = note
    suggestion.save()


def _pending_for_update(suggestion):
    locked = Suggestion.objects.select_for_update().select_related("statement__meeting").get(pk=suggestion.pk)
    if not locked.is_pending():
        raise ValidationError(f"This suggestion was already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def accept_suggestion(*, suggestion, by, changes=None):
    """Accept a suggestion with a curator's changes: create the commitment (or figure) it proposes.

    `changes` overrides the proposal field by field (quote, start, end, slug, line_of_effort, actor,
    strength, summary, assessable, note, deadline, deadline_text, amount, currency, thread,
    change_kind; for a figure slug, metric, value, unit, qualifier, note). The record is validated
    by its model's full_clean() and a commitment is placed in its recurring pledge through
    place_in_thread, as the admin and the API do. Raises ValidationError with nothing changed.
    """
    suggestion = _pending_for_update(suggestion)
    changes = dict(changes or {})
    if suggestion.kind == SuggestionKind.FIGURE:
        record = _accept_figure(suggestion, changes)
        suggestion.figure = record
    else:
        record = _accept_commitment(suggestion, changes)
        suggestion.commitment = record
    _decide(suggestion, SuggestionStatus.ACCEPTED, by, changes.get("decision_note", ""))
    return record


def _span(suggestion, changes):
    quote = changes.get("quote") or suggestion.quote
    start = changes.get("start")
    if start is None and quote == suggestion.quote:
        start = suggestion.start
    return resolve_span(suggestion.statement, quote, start, changes.get("end") if start is not None else None)


def _accept_commitment(suggestion, changes):
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


def _candidate_kind(suggestion, thread):
    """The change kind suggested against a pledge among the candidates; `new` for a pledge not among them."""
    for candidate in suggestion.threads:
        if candidate["thread"] == thread.slug:
            return candidate["change_kind"]
    return ChangeKind.NEW


def _accept_figure(suggestion, changes):
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
def reject_suggestion(*, suggestion, by, note=""):
    """Reject a suggestion: nothing is created, and the span is not suggested again."""
    suggestion = _pending_for_update(suggestion)
    _decide(suggestion, SuggestionStatus.REJECTED, by, note)
    return suggestion


def accept_suggestions(*, suggestions, by):
    """Accept several suggestions as proposed, each on its own: ([records created], [(suggestion, problem)]).

    One that cannot be accepted (no line of effort, say) is left pending with its reason; the others
    are accepted all the same.
    """
    created, problems = [], []
    for suggestion in suggestions:
        try:
            created.append(accept_suggestion(suggestion=suggestion, by=by))
        except ValidationError as exc:
            problems.append((suggestion, "; ".join(exc.messages)))
    return created, problems
