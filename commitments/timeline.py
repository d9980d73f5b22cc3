"""A thread's timeline: each entry with its computed wording difference to the one before, and the change
kind that difference suggests (a curator confirms it)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Protocol

from .choices import ChangeKind, Strength
from .wording import WordRun, compare, diff_counts, word_diff, words


class _Quoted(Protocol):
    """What a step reads of a commitment."""

    @property
    def quote(self) -> str: ...
    @property
    def strength(self) -> str: ...


class _Entry(Protocol):
    """What a step reads of a thread entry (a `ThreadEntry`)."""

    @property
    def commitment(self) -> _Quoted: ...
    @property
    def change_kind(self) -> str: ...


# Share of words in common (wording.similarity) from which two quotes of a pledge count as the same
# wording edited, and read best as a word-by-word difference; below it the pledge was rewritten, and
# two quotes side by side read better than a diff that strikes almost everything.
CLOSE_WORDING_SIMILARITY = 0.5


class TimelineStep:
    """One entry of a thread's timeline with its computed wording difference to the previous entry.

    The difference and the similarity come from one matching of the two quotes' words, made the
    first time either is read and kept: a page reads both for every step, some of them twice.
    """

    def __init__(self, entry: _Entry, previous: _Entry | None) -> None:
        self.entry = entry
        self.previous = previous

    @classmethod
    def chain(cls, entries: Sequence[_Entry]) -> list[TimelineStep]:
        """The steps of a thread's entries, given in position order: each paired with the one before it."""
        return [cls(entry=entry, previous=previous) for previous, entry in zip([None, *entries], entries, strict=False)]

    @cached_property
    def _comparison(self) -> tuple[list[WordRun], float | None]:
        if self.previous is None:
            return [], None
        return compare(self.previous.commitment.quote, self.entry.commitment.quote)

    @property
    def diff(self) -> list[WordRun]:
        return self._comparison[0]

    def similarity(self) -> float | None:
        """Share of words the quote shares with the previous one, from 0 to 1 (None for the first entry)."""
        return self._comparison[1]

    def suggested_change_kind(self) -> ChangeKind:
        """A change kind a curator can confirm: from strength, then from words added or dropped."""
        if self.previous is None:
            return ChangeKind.NEW
        old, new = self.previous.commitment, self.entry.commitment
        return suggest_change_kind(old.quote, old.strength, new.quote, new.strength, diff=self.diff)

    def wording_is_close(self) -> bool:
        """Whether the quote edits the previous one (show a word diff) rather than rewrites it (show both)."""
        similarity = self.similarity()
        return similarity is not None and similarity >= CLOSE_WORDING_SIMILARITY

    def differs_from_suggestion(self) -> bool:
        """Whether the curator's change kind is not the suggested one."""
        return self.entry.change_kind != self.suggested_change_kind()


def suggest_change_kind(
    old_quote: str | None,
    old_strength: str | None,
    new_quote: str,
    new_strength: str,
    *,
    diff: list[WordRun] | None = None,
) -> ChangeKind:
    """How a pledge changed from `old` to `new`: from strength, then from words added or dropped.

    Shared by a thread's timeline, its entries' list and the suggestions for a new statement.
    `old_quote` is None for a thread's first entry, which is `new`. `diff` is `word_diff(old_quote,
    new_quote)` when the caller has it already (a timeline step keeps its own).
    """
    if old_quote is None:
        return ChangeKind.NEW
    if words(old_quote) == words(new_quote):
        return ChangeKind.REPEATED
    if old_strength == Strength.SOFT and new_strength == Strength.BINDING:
        return ChangeKind.STRENGTHENED
    if old_strength == Strength.BINDING and new_strength == Strength.SOFT:
        return ChangeKind.WEAKENED
    inserted, deleted = diff_counts(word_diff(old_quote, new_quote) if diff is None else diff)
    if inserted > deleted * 1.25:
        return ChangeKind.WIDENED
    if deleted > inserted * 1.25:
        return ChangeKind.NARROWED
    return ChangeKind.REPEATED
