"""The rules of a recurring pledge's order, in one home that every write path and every check calls.

A thread's entries are numbered 1..n in meeting order. It opens with one or more `new` commitments
(several when one meeting made them); every later one says how it changed from the one before, so
a `new` entry after one that is not `new` breaks it. `place_in_thread` and `remove_from_thread`
refuse a write that would break them, the seed builder and `generate_demo` check what they build,
and `snapshot verify` (which `snapshot restore` runs first) checks every thread of a snapshot.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

NEW = "new"  # ChangeKind.NEW, said here so that this module needs no model


@dataclass(frozen=True)
class KindBreak:
    """Where a run of change kinds breaks the opening rule: `opening` when the first is not `new`
    (the indexes are then 0); otherwise `late_new` is a `new` that comes after `changed`, an entry
    that is not `new`."""

    opening: bool
    changed: int = 0
    late_new: int = 0


def kind_break(kinds: Sequence[str]) -> KindBreak | None:
    """Where change kinds, in meeting order, break the opening rule, or None when they keep it."""
    if not kinds:
        return None
    if kinds[0] != NEW:
        return KindBreak(opening=True)
    changed = next((i for i, kind in enumerate(kinds) if kind != NEW), None)
    if changed is None:
        return None
    late_new = next((i for i in range(changed + 1, len(kinds)) if kinds[i] == NEW), None)
    return None if late_new is None else KindBreak(opening=False, changed=changed, late_new=late_new)


@dataclass(frozen=True)
class PlacedEntry:
    """What the rules read of one entry: its commitment, position, change kind and place in meeting order."""

    commitment: str
    position: int
    change_kind: str
    order: tuple[Any, ...]  # (meeting start date, statement position, quote start): sorts by meeting order


def order_problems(thread: str, entries: Iterable[PlacedEntry]) -> list[str]:
    """Why a thread's entries break its rules, each problem naming the thread and the entry; [] when they hold."""
    entries = sorted(entries, key=lambda e: e.position)
    where = f"recurring pledge “{thread}”"
    problems = []
    positions = [e.position for e in entries]
    if positions != list(range(1, len(entries) + 1)):
        problems.append(f"{where}: its entries are at positions {positions}, not numbered 1..{len(entries)}")
    for before, after in pairwise(entries):
        if after.order < before.order:
            problems.append(
                f"{where}: “{after.commitment}” (position {after.position}) was made before "
                f"“{before.commitment}” (position {before.position}): entries follow meeting order"
            )
    broken = kind_break([e.change_kind for e in entries])
    if broken is not None and broken.opening:
        first = entries[0]
        problems.append(f"{where}: “{first.commitment}” opens it but is marked “{first.change_kind}”, not “new”")
    elif broken is not None:
        changed, late = entries[broken.changed], entries[broken.late_new]
        problems.append(
            f"{where}: “{late.commitment}” (position {late.position}) is marked “new” after “{changed.commitment}” "
            f"(position {changed.position}, “{changed.change_kind}”): only the commitments that open it are “new”"
        )
    return problems


def problems_by_thread(rows: Iterable[tuple[str, PlacedEntry]]) -> list[str]:
    """`order_problems` for every thread of (thread slug, entry) rows, in the order of the threads' slugs."""
    grouped: dict[str, list[PlacedEntry]] = {}
    for thread, entry in rows:
        grouped.setdefault(thread, []).append(entry)
    return [problem for thread in sorted(grouped) for problem in order_problems(thread, grouped[thread])]
