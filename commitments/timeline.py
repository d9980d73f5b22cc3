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


# Steps of a pledge's timeline a page shows, on the pledge's public page and in its API answer: a long
# pledge (hundreds of entries) is read a page at a time, a short one whole, as one page.
TIMELINE_PAGE_SIZE = 50

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

    @classmethod
    def chain_page(cls, entries: Sequence[_Entry], start: int, stop: int) -> list[TimelineStep]:
        """The steps `start` to `stop` (0-based, `stop` excluded) of the timeline whose entries, in position
        order, `entries` holds (a list, or a QuerySet sliced and read here once). The entry before `start`
        is read too, for the first step's wording difference, and is not a step of the page."""
        before = max(start - 1, 0)
        return cls.chain(list(entries[before:stop]))[start - before :]

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

    @cached_property
    def basis(self) -> SuggestionBasis:
        """What the suggestion rests on, and whether the curator's kind contradicts it."""
        if self.previous is None:
            return SuggestionBasis(None, None, self.entry.commitment.quote, self.entry.commitment.strength)
        old, new = self.previous.commitment, self.entry.commitment
        return SuggestionBasis(old.quote, old.strength, new.quote, new.strength, diff=self.diff)


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


_OPPOSITE = {
    ChangeKind.WIDENED: ChangeKind.NARROWED,
    ChangeKind.NARROWED: ChangeKind.WIDENED,
    ChangeKind.STRENGTHENED: ChangeKind.WEAKENED,
    ChangeKind.WEAKENED: ChangeKind.STRENGTHENED,
}


class SuggestionBasis:
    """What a suggested change kind rests on (strength before and after, words added and dropped), and whether
    a curator's kind contradicts it.

    A curator's kind is flagged only when it says the opposite of what the quotes show, not whenever it differs
    from the suggestion: the suggestion is a rough count of words, the curator reads them. Contradictions:

    - a pledge's first commitment marked other than new;
    - strengthened or weakened against the strength's own change (soft → binding marked weakened), or
      repeated although the strength changed;
    - widened where more words were dropped than added (narrowed is suggested), and narrowed the other way;
    - any change where the wording and strength are the same.

    Not flagged: a kind chosen where only "repeated" is suggested from close wording (the words the curator
    judges to matter may be few), "repeated" where the counts lean one way, "new" for a later commitment
    (the thread's rules decide that), and strengthened or weakened where the words changed as well.
    """

    def __init__(
        self,
        old_quote: str | None,
        old_strength: str | None,
        new_quote: str,
        new_strength: str,
        *,
        diff: list[WordRun] | None = None,
    ) -> None:
        self.first = old_quote is None
        self.old_strength, self.new_strength = old_strength, new_strength
        self.same_words = not self.first and words(old_quote or "") == words(new_quote)
        if self.first or self.same_words:
            self.inserted = self.deleted = 0
        else:
            self.inserted, self.deleted = diff_counts(word_diff(old_quote or "", new_quote) if diff is None else diff)
        self.suggested = suggest_change_kind(old_quote, old_strength, new_quote, new_strength, diff=diff)

    def explanation(self) -> str:
        """The suggestion and what it rests on, for a tooltip."""
        if self.first:
            return "Suggested “New”: the first commitment of a pledge opens it."
        basis = (
            "the same words"
            if self.same_words
            else f"{self.inserted} word{'s' * (self.inserted != 1)} added, "
            f"{self.deleted} word{'s' * (self.deleted != 1)} dropped"
        )
        return (
            f"Suggested “{self.suggested.label}” from the strength ({self.old_strength} → {self.new_strength}) "
            f"and the wording ({basis}). Same words: repeated; soft → binding: strengthened; binding → soft: "
            "weakened; else more than 1.25 times as many words added as dropped: widened, the reverse: narrowed; "
            "else repeated."
        )

    def contradiction(self, kind: str) -> str | None:
        """Why the curator's `kind` contradicts the quotes, or None when it does not (see the class)."""
        kind = ChangeKind(kind)
        if self.first:
            return None if kind == ChangeKind.NEW else "The first commitment of a pledge is new."
        if kind == ChangeKind.NEW:
            return None
        strength_changed = self.old_strength != self.new_strength
        went = f"the strength went {self.old_strength} → {self.new_strength}"
        if strength_changed and kind in (_OPPOSITE.get(self.suggested), ChangeKind.REPEATED):
            return f"Marked {kind.label.lower()}, but {went}."
        if self.same_words and not strength_changed:
            return f"Marked {kind.label.lower()}, but the wording and the strength are the same."
        if kind in (ChangeKind.WIDENED, ChangeKind.NARROWED) and self.suggested == _OPPOSITE[kind]:
            return (
                f"Marked {kind.label.lower()}, but {self.inserted} words were added and {self.deleted} dropped "
                f"({self.suggested.label.lower()} is suggested)."
            )
        return None
