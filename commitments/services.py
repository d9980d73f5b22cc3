"""Writes that touch several rows, called alike by the admin, the API and the seed loader."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from core.exceptions import ConcurrentChange
from core.spans import display_text, resolve_span
from core.texts import decode_statement_bytes, sha256_hex
from meetings.models import Figure, Meeting, Qualifier, Statement

from .ingest import guess_actor, guess_metric, suggest
from .models import (
    ChangeKind,
    Commitment,
    LineOfEffort,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
    Thread,
    ThreadEntry,
    spans_overlap,
)
from .search import StoredCorpus, words_of


def meeting_order(commitment):
    """Sort key putting commitments in the order their meetings and statements came."""
    statement = commitment.statement
    return (statement.meeting.start_date, statement.position, commitment.start, commitment.pk or 0)


def _entries_of(thread):
    """The thread's entries with what meeting order needs, in one query."""
    return list(thread.entries.select_related("commitment__statement__meeting").defer("commitment__statement__text"))


def _placed(thread, commitment):
    """The commitment's entry in the thread (a new, unsaved one if it has none) and every entry in meeting order."""
    entries = _entries_of(thread)
    entry = next((e for e in entries if e.commitment_id == commitment.pk), None)
    if entry is None:
        entry = ThreadEntry(thread=thread, commitment=commitment)
        entries.append(entry)
    return entry, sorted(entries, key=lambda e: meeting_order(e.commitment))


def _opening_problem(ordered, entry, change_kind):
    if ordered[0] is entry and change_kind != ChangeKind.NEW:
        return (
            f"“{entry.commitment.slug}” would be the first commitment of “{entry.thread}”, "
            "so its change kind must be “new”."
        )
    if ordered[0] is not entry and ordered[0].change_kind != ChangeKind.NEW:
        return f"“{ordered[0].commitment.slug}” would then open the thread but is not marked “new”."
    return _new_after_changed_problem(ordered, entry, change_kind)


def _new_after_changed_problem(ordered, entry, change_kind):
    """Why the thread would have a `new` entry after one that says how it changed, or None.

    A thread opens with one or more `new` commitments (several when one meeting made them); every
    later one says how it changed from the one before, so `new` in the middle of a thread is refused.
    """
    kinds = [change_kind if e is entry else e.change_kind for e in ordered]
    changed = next((i for i, kind in enumerate(kinds) if kind != ChangeKind.NEW), None)
    late_new = next(
        (i for i, kind in enumerate(kinds) if kind == ChangeKind.NEW and changed is not None and i > changed), None
    )
    if late_new is None:
        return None
    earlier = ordered[changed]
    earlier_kind = ChangeKind(kinds[changed]).label.lower()
    if ordered[late_new] is entry:
        return (
            f"“{entry.commitment.slug}” would come after “{earlier.commitment.slug}” (marked “{earlier_kind}”) "
            f"in “{entry.thread}”: only the commitments that open a recurring pledge are “new”. "
            "Choose how it changed from the commitment before it."
        )
    return (
        f"“{entry.commitment.slug}”, marked “{earlier_kind}”, would come before "
        f"“{ordered[late_new].commitment.slug}”, which is marked “new”: only the commitments that open a "
        "recurring pledge are “new”. Mark that one with how it changed first."
    )


def opening_problem(*, thread, commitment, change_kind):
    """Why placing the commitment with this change kind is refused, or None.

    A thread's first entry is `new`, and no `new` entry comes after one that is not.
    """
    entry, ordered = _placed(thread, commitment)
    return _opening_problem(ordered, entry, change_kind)


def _lock(thread):
    """Hold the thread until the transaction ends: placements and removals in it happen one at a time."""
    if not list(Thread.objects.select_for_update().filter(pk=thread.pk).values_list("pk", flat=True)):
        raise ConcurrentChange(f"The recurring pledge “{thread.slug}” was deleted meanwhile.")


class AlreadyInThread(ConcurrentChange):
    """The commitment already has its place in the thread (placed meanwhile, or before)."""


@transaction.atomic
def place_in_thread(*, thread, commitment, change_kind, note="", only_new=False):
    """Add a commitment to a recurring pledge (or update its place), keeping the thread in meeting order.

    Positions are numbered 1..n by meeting order; the first commitment of a thread must be `new`, and
    a `new` one cannot come after one that is not (the API and the admin both refuse it here).
    Each entry that changes is saved once (one history row); entries that do not change are not saved.
    The thread is locked first, so concurrent placements are made one after the other; should the
    database still refuse a row, ConcurrentChange says so and nothing is saved. With `only_new`, a
    commitment already in the thread is AlreadyInThread rather than an update of its entry.
    """
    _lock(thread)
    if only_new and ThreadEntry.objects.filter(thread=thread, commitment=commitment).exists():
        raise AlreadyInThread(f"“{commitment.slug}” is already in “{thread}”: change its entry instead.")
    try:
        return _place(thread, commitment, change_kind, note)
    except IntegrityError:
        raise ConcurrentChange(
            f"“{thread}” was changed by someone else at the same time: nothing was saved; try again."
        ) from None


def _place(thread, commitment, change_kind, note):
    entry, ordered = _placed(thread, commitment)
    problem = _opening_problem(ordered, entry, change_kind)
    if problem:
        raise ValidationError({"change_kind": problem})
    changed = entry.pk is None or (entry.change_kind, entry.note) != (change_kind, note)
    entry.change_kind, entry.note = change_kind, note
    _renumber(ordered, always_save=entry if changed else None)
    return entry


def removal_problem(entry):
    """Why taking this entry out of its thread is refused, or None: the next one would open it unmarked."""
    rest = _rest_of_thread(entry)
    if rest and rest[0].change_kind != ChangeKind.NEW:
        return (
            f"Taking “{entry.commitment.slug}” out would leave “{rest[0].commitment.slug}” opening the thread, "
            "but it is not marked “new”: mark it “new” first."
        )
    return None


def _rest_of_thread(entry):
    rest = [e for e in _entries_of(entry.thread) if e.pk != entry.pk]
    return sorted(rest, key=lambda e: meeting_order(e.commitment))


@transaction.atomic
def remove_from_thread(*, entry):
    """Take a commitment out of its thread and close the gap it leaves; refused before anything changes.

    The thread is locked first; an entry that another write took out meanwhile is a ConcurrentChange.
    """
    _lock(entry.thread)
    if not ThreadEntry.objects.filter(pk=entry.pk).exists():
        raise ConcurrentChange(f"“{entry.commitment.slug}” was already taken out of “{entry.thread}”.")
    rest = _rest_of_thread(entry)
    if rest and rest[0].change_kind != ChangeKind.NEW:
        raise ValidationError(removal_problem(entry))
    try:
        entry.delete()
        _renumber(rest)
    except IntegrityError:
        raise ConcurrentChange(
            f"“{entry.thread}” was changed by someone else at the same time: nothing was saved; try again."
        ) from None


def _renumber(ordered, always_save=None):
    """Give `ordered` the positions 1..n, saving each entry that moves (and `always_save`) exactly once.

    (thread, position) is unique and checked row by row, so moves are saved in an order that never
    takes a position still held: entries moving up from the last one down, then entries moving down
    from the first one up. Inserting or removing an entry only shifts the rest one way. Should moves
    in both directions meet (after a meeting's date was changed), the moving rows are first parked
    out of the way with one UPDATE, which records no history, so no history row ever holds a
    temporary position.
    """
    targets = {id(entry): position for position, entry in enumerate(ordered, start=1)}
    moving = [e for e in ordered if e.pk is not None and e.position != targets[id(e)]]
    up = sorted((e for e in moving if targets[id(e)] > e.position), key=lambda e: -e.position)
    down = sorted((e for e in moving if targets[id(e)] < e.position), key=lambda e: e.position)
    if up and down:
        parked = ThreadEntry.objects.filter(pk__in=[e.pk for e in moving])
        parked.update(position=F("position") + PARKING_OFFSET)
    for entry in [*up, *down]:
        entry.position = targets[id(entry)]
        if entry is always_save:
            entry.save()
        else:
            entry.save(update_fields=["position"])
    if always_save is not None and always_save not in moving:
        always_save.position = targets[id(always_save)]
        always_save.save()


# Far above any real position (a thread of this many meetings would take centuries).
PARKING_OFFSET = 10_000


# ---------------------------------------------------------------------------------------------
# Ingesting a new statement: suggestions for curators to accept or reject.
# ---------------------------------------------------------------------------------------------

# The largest statement accepted, in UTF-8 bytes: the five sources are 3-14 kB; a megabyte is a
# book, and a file that large is more likely a wrong upload than a communiqué.
MAX_STATEMENT_BYTES = 1_000_000
# A pledge offered with at least this score is preselected, so accepting places the commitment in it.
CONFIDENT_THREAD_SCORE = 0.3


def statement_text_from_bytes(data, name):
    """The verbatim text of an uploaded statement; ValueError for an empty, binary, non-UTF-8 or too large file."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise ValueError(
            f"{name}: {len(data):,} bytes is over the limit of {MAX_STATEMENT_BYTES:,} bytes (1 MB) for a statement."
        )
    return decode_statement_bytes(data, name)


def check_statement_text(text, name="The text"):
    """Refuse a text that cannot become a new statement: empty, binary, too large, or already stored."""
    if not text.strip():
        raise ValueError(f"{name} is empty.")
    if "\x00" in text:
        raise ValueError(f"{name} contains NUL characters; a statement must be text.")
    size = len(text.encode("utf-8"))
    if size > MAX_STATEMENT_BYTES:
        raise ValueError(f"{name}: {size:,} bytes is over the limit of {MAX_STATEMENT_BYTES:,} bytes (1 MB).")
    existing = Statement.objects.filter(sha256=sha256_hex(text)).values_list("slug", flat=True).first()
    if existing:
        raise ValueError(f"{name} is identical (same SHA-256) to the stored statement “{existing}”.")


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
    statement (see `check_statement_text`) or an invalid statement or meeting.
    """
    check_statement_text(text)
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


def _unique_slug(base, model, max_length=120):
    base = slugify(base)[: max_length - 4].strip("-") or "item"
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def default_commitment_slug(suggestion):
    """<statement slug>-<its first words>, unique among commitments."""
    topic = "-".join(words_of(suggestion.quote)[:5])
    return _unique_slug(f"{suggestion.statement.slug}-{topic}", Commitment)


def default_summary(quote):
    """A first summary a curator can shorten: the quote as it reads, within 300 characters."""
    text = display_text(quote)
    return text if len(text) <= 300 else text[:299] + "…"


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


def default_figure_slug(suggestion):
    """<statement slug>-fig-<unit>, unique among figures."""
    return _unique_slug(f"{suggestion.statement.slug}-fig-{suggestion.unit or 'figure'}", Figure)


def default_figure_metric(suggestion):
    """The metric the figure most likely measures, from its unit and the words after it."""
    return guess_metric(
        suggestion.statement.text, {"start": suggestion.start, "end": suggestion.end, "unit": suggestion.unit}
    )


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
