"""Writes that touch several rows, called alike by the admin, the API and the seed loader."""

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core.batches import batched
from core.exceptions import ConcurrentChange

from .models import ChangeKind, Commitment, PledgeLink, Thread, ThreadEntry
from .rules import kind_break


def meeting_order(commitment: Commitment) -> tuple[datetime.date, int, int, int]:
    """Sort key putting commitments in the order their meetings and statements came."""
    statement = commitment.statement
    return (statement.meeting.start_date, statement.position, commitment.start, commitment.pk or 0)


def _entries_of(thread: Thread) -> list[ThreadEntry]:
    """The thread's entries with what meeting order needs, in one query."""
    return list(thread.entries.select_related("commitment__statement__meeting").defer("commitment__statement__text"))


def _placed(thread: Thread, commitment: Commitment) -> tuple[ThreadEntry, list[ThreadEntry]]:
    """The commitment's entry in the thread (a new, unsaved one if it has none) and every entry in meeting order."""
    entries = _entries_of(thread)
    entry = next((e for e in entries if e.commitment_id == commitment.pk), None)
    if entry is None:
        entry = ThreadEntry(thread=thread, commitment=commitment)
        entries.append(entry)
    return entry, sorted(entries, key=lambda e: meeting_order(e.commitment))


def _opening_problem(ordered: Sequence[ThreadEntry], entry: ThreadEntry, change_kind: str) -> str | None:
    """Why the thread, with `entry` placed with `change_kind`, would break its rules (`rules`), or None."""
    broken = kind_break([change_kind if e is entry else e.change_kind for e in ordered])
    if broken is None:
        return None
    if broken.opening and ordered[0] is entry:
        return (
            f"“{entry.commitment.slug}” would be the first commitment of “{entry.thread}”, "
            "so its change kind must be “new”."
        )
    if broken.opening:
        return f"“{ordered[0].commitment.slug}” would then open the thread but is not marked “new”."
    earlier, late = ordered[broken.changed], ordered[broken.late_new]
    earlier_kind = ChangeKind(change_kind if earlier is entry else earlier.change_kind).label.lower()
    if late is entry:
        return (
            f"“{entry.commitment.slug}” would come after “{earlier.commitment.slug}” (marked “{earlier_kind}”) "
            f"in “{entry.thread}”: only the commitments that open a recurring pledge are “new”. "
            "Choose how it changed from the commitment before it."
        )
    return (
        f"“{earlier.commitment.slug}”, marked “{earlier_kind}”, would come before "
        f"“{late.commitment.slug}”, which is marked “new”: only the commitments that open a "
        "recurring pledge are “new”. Mark that one with how it changed first."
    )


def opening_problem(*, thread: Thread, commitment: Commitment, change_kind: str) -> str | None:
    """Why placing the commitment with this change kind is refused, or None (the rules are `commitments.rules`)."""
    entry, ordered = _placed(thread, commitment)
    return _opening_problem(ordered, entry, change_kind)


def _lock(thread: Thread) -> None:
    """Hold the thread until the transaction ends: placements and removals in it happen one at a time."""
    if not list(Thread.objects.select_for_update().filter(pk=thread.pk).values_list("pk", flat=True)):
        raise ConcurrentChange(f"The recurring pledge “{thread.slug}” was deleted meanwhile.")


class AlreadyInThread(ConcurrentChange):
    """The commitment already has its place in the thread (placed meanwhile, or before)."""


def already_in_thread(*, thread: Thread, commitment: Commitment) -> str | None:
    """Why a new place for the commitment in the thread is refused (it has one), or None.

    Every path that adds a place asks this: the API (409) and each admin form (a form error), and
    `place_in_thread(only_new=True)` again under the thread's lock, should one have been added meanwhile.
    """
    if thread.pk is None or commitment.pk is None:
        return None
    if not ThreadEntry.objects.filter(thread=thread, commitment=commitment).exists():
        return None
    return f"“{commitment.slug}” is already in “{thread}”: change its entry instead."


@transaction.atomic
def place_in_thread(
    *, thread: Thread, commitment: Commitment, change_kind: str, note: str = "", only_new: bool = False
) -> ThreadEntry:
    """Add a commitment to a recurring pledge (or update its place), keeping the thread in meeting order.

    Positions are numbered 1..n by meeting order; the first commitment of a thread must be `new`, and
    a `new` one cannot come after one that is not (the API and the admin both refuse it here).
    Each entry that changes is saved once (one history row); entries that do not change are not saved.
    The thread is locked first, so concurrent placements are made one after the other; should the
    database still refuse a row, ConcurrentChange says so and nothing is saved. With `only_new`, a
    commitment already in the thread is AlreadyInThread rather than an update of its entry.
    """
    _lock(thread)
    merged = PledgeLink.objects.merged_into(thread).first()
    if merged is not None:
        # Retired: its address leads to the pledge its commitments went to (`commitments.merging`).
        raise ValidationError({"thread": f"“{thread}” was merged into “{merged.other}”: place it there."})
    already = already_in_thread(thread=thread, commitment=commitment) if only_new else None
    if already:
        raise AlreadyInThread(already)
    try:
        with batched():  # the feed's changes of every entry that moves, written once (core.batches)
            return _place(thread, commitment, change_kind, note)
    except IntegrityError:
        raise ConcurrentChange(
            f"“{thread}” was changed by someone else at the same time: nothing was saved; try again."
        ) from None


def _place(thread: Thread, commitment: Commitment, change_kind: str, note: str) -> ThreadEntry:
    entry, ordered = _placed(thread, commitment)
    problem = _opening_problem(ordered, entry, change_kind)
    if problem:
        raise ValidationError({"change_kind": problem})
    changed = entry.pk is None or (entry.change_kind, entry.note) != (change_kind, note)
    entry.change_kind, entry.note = change_kind, note
    _renumber(ordered, always_save=entry if changed else None)
    return entry


def removal_problem(entry: ThreadEntry, rest: Sequence[ThreadEntry] | None = None) -> str | None:
    """Why taking this entry out of its thread is refused, or None: the next one would open it unmarked.

    `rest` is the thread's other entries in meeting order, when the caller has read them already.
    """
    rest = _rest_of_thread(entry) if rest is None else rest
    broken = kind_break([e.change_kind for e in rest])
    if broken is not None and broken.opening:
        return (
            f"Taking “{entry.commitment.slug}” out would leave “{rest[0].commitment.slug}” opening the thread, "
            "but it is not marked “new”: mark it “new” first."
        )
    return None


def _rest_of_thread(entry: ThreadEntry) -> list[ThreadEntry]:
    rest = [e for e in _entries_of(entry.thread) if e.pk != entry.pk]
    return sorted(rest, key=lambda e: meeting_order(e.commitment))


@transaction.atomic
def remove_from_thread(*, entry: ThreadEntry) -> None:
    """Take a commitment out of its thread and close the gap it leaves; refused before anything changes.

    The thread is locked first; an entry that another write took out meanwhile is a ConcurrentChange.
    """
    _lock(entry.thread)
    if not ThreadEntry.objects.filter(pk=entry.pk).exists():
        raise ConcurrentChange(f"“{entry.commitment.slug}” was already taken out of “{entry.thread}”.")
    rest = _rest_of_thread(entry)
    problem = removal_problem(entry, rest)
    if problem:
        raise ValidationError(problem)
    try:
        with batched():
            entry.delete()
            _renumber(rest)
    except IntegrityError:
        raise ConcurrentChange(
            f"“{entry.thread}” was changed by someone else at the same time: nothing was saved; try again."
        ) from None


def _renumber(ordered: Sequence[ThreadEntry], always_save: ThreadEntry | None = None) -> None:
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
