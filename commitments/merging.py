"""Merging two recurring pledges into one, and splitting one in two: the one home the admin and the API call.

A merge moves every place of one pledge into another; a split moves chosen places into a new
pledge. Either way the places end in meeting order (`services.meeting_order`), numbered 1..n, and
each keeps the curator's change kind where the place before it is still the one it was compared
with; where that neighbour differs the kind is suggested again from the two quotes
(`timeline.suggest_change_kind`), and where a kept kind would break the threads' rules
(`commitments.rules`) it is suggested again too.

The event is a `PledgeLink` ("merged into", "split from") holding the reason and every place it
moved or re-suggested as it stood before: those are flagged to review until a curator marks the
link reviewed, and they are what undoing it restores. Undoing is the opposite operation: splitting
the places of a retired pledge back out of the pledge it was merged into revives it, and merging a
split pledge back into the one it came from undoes the split; either restores every kind the link
recorded (where the rules still allow it) and deletes the link.

All-or-nothing: one transaction, both pledges locked first. Every history row written names the
curator and the reason (`core.attribution.attributed`); the change feed reports each row, the
link's first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import F

from core.attribution import attributed
from core.exceptions import ConcurrentChange

from .models import ChangeKind, Thread, ThreadEntry
from .pledge_links import LinkKind, PledgeLink
from .rules import kind_break
from .services import PARKING_OFFSET, meeting_order
from .timeline import suggest_change_kind

# How far a redirect follows a chain of merges (a pledge merged into one merged in turn...).
MAX_REDIRECTS = 20


def current_pledge(thread: Thread) -> Thread | None:
    """Where a retired pledge's entries are now (following merges of merges), or None when it is not retired."""
    found = None
    for _ in range(MAX_REDIRECTS):
        link = PledgeLink.objects.merged_into(found or thread).first()
        if link is None:
            return found
        found = link.other
    return found


def is_retired(thread: Thread) -> bool:
    return PledgeLink.objects.merged_into(thread).exists()


def _entries(thread: Thread) -> list[ThreadEntry]:
    """The pledge's places in position order, with what meeting order and the suggestions read."""
    rows = thread.entries.select_related("commitment__statement__meeting").defer("commitment__statement__text")
    return sorted(rows, key=lambda entry: entry.position)


def lock_pledges(*threads: Thread) -> None:
    """Hold the pledges until the transaction ends, in primary key order (two merges never wait on each other).

    A caller that checks a pledge's version before merging locks both pledges with this first."""
    pks = sorted({thread.pk for thread in threads})
    if len(list(Thread.objects.select_for_update().filter(pk__in=pks).values_list("pk", flat=True))) != len(pks):
        raise ConcurrentChange("A recurring pledge was deleted meanwhile: nothing was saved.")


def _before(entries: Sequence[ThreadEntry]) -> dict[int, int | None]:
    """{entry id: the commitment id of the place before it (None for the first)}, of one pledge in position order."""
    return {entry.pk: previous.commitment_id if previous else None for previous, entry in _pairs(entries)}


def _pairs(entries: Sequence[ThreadEntry]) -> Iterator[tuple[ThreadEntry | None, ThreadEntry]]:
    return zip([None, *entries[:-1]], entries, strict=True)


def _suggested(previous: ThreadEntry | None, entry: ThreadEntry) -> str:
    if previous is None:
        return ChangeKind.NEW
    old, new = previous.commitment, entry.commitment
    return suggest_change_kind(old.quote, old.strength, new.quote, new.strength)


def _kinds(ordered: Sequence[ThreadEntry], before: dict[int, int | None], restore: dict[str, str]) -> list[str]:
    """The change kind of each place of `ordered` (in meeting order): as `restore` recorded it, else the
    curator's where its neighbour is unchanged, else suggested; then suggested wherever the rules break."""
    kinds = []
    for previous, entry in _pairs(ordered):
        if entry.commitment.slug in restore:
            kinds.append(restore[entry.commitment.slug])
        elif before[entry.pk] == (previous.commitment_id if previous else None):
            kinds.append(entry.change_kind)
        else:
            kinds.append(_suggested(previous, entry))
    while (broken := kind_break(kinds)) is not None:
        # The opening one becomes `new`; a late `new` gets the kind its quote suggests (never `new`).
        at = 0 if broken.opening else broken.late_new
        kinds[at] = _suggested(ordered[at - 1] if at else None, ordered[at])
    return kinds


def _plan(
    thread: Thread, entries: Iterable[ThreadEntry], before: dict[int, int | None], restore: dict[str, str]
) -> list[tuple[ThreadEntry, int, str]]:
    """(place, its position, its kind) for `entries` gathered in `thread`, in meeting order."""
    ordered = sorted(entries, key=lambda entry: meeting_order(entry.commitment))
    kinds = _kinds(ordered, before, restore)
    return [(entry, position, kind) for position, (entry, kind) in enumerate(zip(ordered, kinds, strict=True), 1)]


def _record(changed: Sequence[tuple[ThreadEntry, bool]]) -> list[dict]:
    """The places a merge or split changes, as they stood before (what undoing it restores)."""
    return [
        {
            "commitment": entry.commitment.slug,
            "thread": entry.thread.slug,
            "position": entry.position,
            "change_kind": entry.change_kind,
            "moved": moved,
        }
        for entry, moved in changed
    ]


def _write(plans: Sequence[tuple[Thread, list[tuple[ThreadEntry, int, str]]]]) -> list[dict]:
    """Save each place that changes pledge, position or kind exactly once (one history row each); returns
    them as they stood before. The moving rows are first parked out of the way with one UPDATE (which
    writes no history), so no saved row ever takes a position still held, and none holds a temporary one."""
    changed = [
        (entry, thread, position, kind)
        for thread, plan in plans
        for entry, position, kind in plan
        if (entry.thread_id, entry.position, entry.change_kind) != (thread.pk, position, kind)
    ]
    recorded = _record([(entry, entry.thread_id != thread.pk) for entry, thread, _, _ in changed])
    moving = [
        entry.pk for entry, thread, position, _ in changed if (entry.thread_id, entry.position) != (thread.pk, position)
    ]
    ThreadEntry.objects.filter(pk__in=moving).update(position=F("position") + PARKING_OFFSET)
    for entry, thread, position, kind in changed:
        entry.thread, entry.position, entry.change_kind = thread, position, kind
        entry.save()
    return recorded


def _mark(*threads: Thread) -> None:
    """One history row on each pledge, saying what happened to it: its history shows the event, who and why."""
    for thread in threads:
        thread.refresh_from_db()
        thread.save()


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: the reason is kept with the merge or split and in its history."})
    return reason


def merge_problem(thread: Thread, into: Thread) -> str | None:
    """Why merging `thread` into `into` is refused, or None."""
    if thread.pk == into.pk:
        return "A recurring pledge cannot be merged into itself."
    for pledge in (thread, into):
        link = PledgeLink.objects.merged_into(pledge).first()
        if link is not None:
            return f"“{pledge.slug}” was merged into “{link.other.slug}” already."
    both = ThreadEntry.objects.filter(thread=thread, commitment__thread_entries__thread=into)
    shared = sorted(both.values_list("commitment__slug", flat=True))
    if shared:
        return (
            f"Both pledges hold {', '.join(f'“{slug}”' for slug in shared)}: take it out of one of them first, "
            "so that a commitment appears once."
        )
    return None


@transaction.atomic
def merge_threads(*, thread: Thread, into: Thread, reason: str, by: Any) -> PledgeLink:
    """Merge the pledge `thread` into `into`: every place moves, `thread` is kept as a retired pledge
    whose address redirects to `into`, and the returned link records the event. A pledge split from
    `into` and merged back undoes the split instead: the kinds it recorded come back and its link goes
    (the retired pledge's own "merged into" link is made all the same, so that its address redirects)."""
    reason = _reason(reason)
    lock_pledges(thread, into)
    problem = merge_problem(thread, into)
    if problem:
        raise ValidationError({"into": problem})
    split = PledgeLink.objects.filter(thread=thread, kind=LinkKind.SPLIT_FROM, other=into).first()
    restore = {place["commitment"]: place["change_kind"] for place in split.entries} if split else {}
    own, theirs = _entries(thread), _entries(into)
    before = {**_before(own), **_before(theirs)}
    with attributed(by, f"merged “{thread.slug}” into “{into.slug}”: {reason}"):
        try:
            recorded = _write([(into, _plan(into, [*own, *theirs], before, restore))])
            if split is not None:
                split.delete()
            link = PledgeLink(thread=thread, kind=LinkKind.MERGED_INTO, other=into, reason=reason, entries=recorded)
            link.save()
            _mark(thread, into)
        except IntegrityError:
            raise ConcurrentChange(
                "The pledges were changed by someone else at the same time: nothing was saved."
            ) from None
    return link


def split_problem(
    chosen: Sequence[ThreadEntry], entries: Sequence[ThreadEntry], reviving: PledgeLink | None
) -> str | None:
    """Why splitting `chosen` of a pledge's `entries` off is refused, or None (all may go back to a revived one)."""
    if not chosen:
        return "Choose the commitments that go to the new pledge."
    if len(chosen) == len(entries) and reviving is None:
        return "Choose some of its commitments, not all: a pledge split in two keeps some of them."
    return None


@transaction.atomic
def split_thread(
    *,
    thread: Thread,
    commitments: Iterable[str],
    slug: str,
    title: str = "",
    reason: str,
    by: Any,
    description: str = "",
) -> Thread:
    """Split the places of the commitments named (slugs) out of `thread` into a new pledge `slug` (with
    `title`), filed under the same line of effort; the new pledge is linked "split from" `thread`.
    Naming a retired pledge merged into `thread` undoes that merge: the places go back to it with the
    kinds they had, and its "merged into" link goes. Returns the pledge the places went to."""
    reason = _reason(reason)
    slug = (slug or "").strip()
    validate_slug(slug)  # a ValidationError naming the slug's rule
    lock_pledges(thread)
    if is_retired(thread):
        raise ValidationError({"commitments": f"“{thread.slug}” was merged into another pledge: split that one."})
    existing = Thread.objects.filter(slug=slug).first()
    reviving = (
        PledgeLink.objects.filter(thread=existing, kind=LinkKind.MERGED_INTO, other=thread).first()
        if existing
        else None
    )
    if existing is not None and reviving is None:
        raise ValidationError(
            {
                "slug": f"“{slug}” is taken by another pledge "
                "(only one merged into this pledge can take its places back)."
            }
        )
    entries = _entries(thread)
    wanted = set(commitments)
    chosen = [entry for entry in entries if entry.commitment.slug in wanted]
    unknown = sorted(wanted - {entry.commitment.slug for entry in chosen})
    if unknown:
        raise ValidationError({"commitments": f"Not in “{thread.slug}”: {', '.join(unknown)}."})
    problem = split_problem(chosen, entries, reviving)
    if problem:
        raise ValidationError({"commitments": problem})
    if existing is None and not title.strip():
        raise ValidationError({"title": "Give the new pledge a title."})
    restore = {place["commitment"]: place["change_kind"] for place in reviving.entries} if reviving else {}
    before = _before(entries)
    with attributed(by, f"split “{slug}” from “{thread.slug}”: {reason}"):
        try:
            target = existing or Thread.objects.create(
                slug=slug, title=title.strip(), description=description, line_of_effort=thread.line_of_effort
            )
            lock_pledges(target)
            stay = [entry for entry in entries if entry not in chosen]
            recorded = _write(
                [(target, _plan(target, chosen, before, restore)), (thread, _plan(thread, stay, before, restore))]
            )
            if reviving is not None:
                reviving.delete()
            else:
                PledgeLink.objects.create(
                    thread=target, kind=LinkKind.SPLIT_FROM, other=thread, reason=reason, entries=recorded
                )
            _mark(thread, *([target] if existing else []))
        except IntegrityError:
            raise ConcurrentChange(
                "The pledge was changed by someone else at the same time: nothing was saved."
            ) from None
    return target
