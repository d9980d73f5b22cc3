"""Writes that touch several rows: called alike by the admin, the seed loader and (later) the API."""

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import ChangeKind, ThreadEntry


def meeting_order(commitment):
    """Sort key putting commitments in the order their meetings and statements came."""
    statement = commitment.statement
    return (statement.meeting.start_date, statement.position, commitment.start, commitment.pk or 0)


def opening_problem(*, thread, commitment, change_kind):
    """Why this change kind is refused, or None: the commitment that opens a thread must be `new`."""
    if change_kind == ChangeKind.NEW:
        return None
    key = meeting_order(commitment)
    earlier = [
        e
        for e in thread.entries.select_related("commitment__statement__meeting")
        if e.commitment_id != commitment.pk and meeting_order(e.commitment) < key
    ]
    if earlier:
        return None
    return f"“{commitment.slug}” would be the first commitment of “{thread}”, so its change kind must be “new”."


@transaction.atomic
def place_in_thread(*, thread, commitment, change_kind, note=""):
    """Add a commitment to a recurring pledge (or update its place), keeping the thread in meeting order.

    Positions are renumbered 1..n by meeting order; the first commitment of a thread must be `new`.
    """
    entry = ThreadEntry.objects.filter(thread=thread, commitment=commitment).first() or ThreadEntry(
        thread=thread, commitment=commitment
    )
    entry.change_kind = change_kind
    entry.note = note
    problem = opening_problem(thread=thread, commitment=commitment, change_kind=change_kind)
    if problem:
        raise ValidationError({"change_kind": problem})
    siblings = [e for e in thread.entries.select_related("commitment__statement__meeting") if e.pk != entry.pk]
    ordered = sorted([*siblings, entry], key=lambda e: meeting_order(e.commitment))
    if ordered[0].change_kind != ChangeKind.NEW:
        raise ValidationError(
            {"change_kind": f"“{ordered[0].commitment.slug}” would then open the thread but is not marked “new”."}
        )
    _renumber(ordered)
    return entry


def _rest_of_thread(entry):
    rest = [e for e in entry.thread.entries.select_related("commitment__statement__meeting") if e.pk != entry.pk]
    return sorted(rest, key=lambda e: meeting_order(e.commitment))


def removal_problem(entry):
    """Why taking this entry out of its thread is refused, or None: the next one would open it unmarked."""
    rest = _rest_of_thread(entry)
    if rest and rest[0].change_kind != ChangeKind.NEW:
        return (
            f"Taking “{entry.commitment.slug}” out would leave “{rest[0].commitment.slug}” opening the thread, "
            "but it is not marked “new”: mark it “new” first."
        )
    return None


@transaction.atomic
def remove_from_thread(*, entry):
    """Take a commitment out of its thread and close the gap it leaves; refused before anything changes."""
    problem = removal_problem(entry)
    if problem:
        raise ValidationError(problem)
    rest = _rest_of_thread(entry)
    entry.delete()
    _renumber(rest)


def _renumber(entries):
    # (thread, position) is unique: park every row out of the way, then number them 1..n.
    for offset, entry in enumerate(entries, start=1):
        entry.position = 20000 + offset
        entry.save()
    for offset, entry in enumerate(entries, start=1):
        entry.position = offset
        entry.save(update_fields=["position"])
