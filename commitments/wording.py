"""The wording difference between two quotes of a recurring pledge, computed word by word.

Captures lose spaces ("successithas" where the published text reads "success it has"). The quotes
stay byte-exact; the comparison reads a run-together word as its parts where the other quote has
those parts apart, so an artefact of one capture is not shown as a change of wording, and says so:
the run that ends such a word carries it in `joined`.
"""

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.spans import display_text

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class WordRun:
    """A run of words that both quotes share (`equal`), or that only one has."""

    op: str  # "equal", "insert" (only in the newer quote) or "delete" (only in the older one)
    text: str
    # Run-together words of a capture ("successithas") read here as their parts ("success it has"),
    # each as captured, for the parts that end in this run: a note for the reader, not a change.
    joined: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, str | list[str]]:
        if self.joined:
            return {"op": self.op, "text": self.text, "joined": list(self.joined)}
        return {"op": self.op, "text": self.text}


def words(text: str) -> list[str]:
    """The words of a quote as a reader sees them (capture artefacts folded)."""
    return _WORD.findall(display_text(text))


def word_diff(old: str, new: str) -> list[WordRun]:
    """Word runs that turn `old` into `new`: equal, deleted and inserted runs, in reading order."""
    return compare(old, new)[0]


def similarity(old: str, new: str) -> float:
    """Share of words the two quotes have in common, from 0 to 1."""
    return compare(old, new)[1]


def diff_counts(runs: Iterable[WordRun]) -> tuple[int, int]:
    """Numbers of inserted and deleted words in a diff."""
    inserted = sum(len(r.text.split()) for r in runs if r.op == "insert")
    deleted = sum(len(r.text.split()) for r in runs if r.op == "delete")
    return inserted, deleted


# The most words a run-together word is read as (a capture rarely loses more than two spaces in a row).
_MOST_PARTS = 4


def split_joined(mine: list[str], theirs: list[str]) -> tuple[list[str], dict[int, str]]:
    """`mine` with each run-together word that `theirs` has apart read as its parts.

    A word of `mine` that `theirs` lacks, and that is two to four consecutive words of `theirs`
    written without their spaces ("continueto" where `theirs` has "continue to"), becomes those
    words. Returns the words, and {index of a word's last part: the word as captured}.
    """
    known = set(theirs)
    apart: dict[str, list[str]] = {}
    for size in range(2, _MOST_PARTS + 1):
        for start in range(len(theirs) - size + 1):
            apart.setdefault("".join(theirs[start : start + size]), theirs[start : start + size])
    read: list[str] = []
    joined: dict[int, str] = {}
    for word in mine:
        parts = apart.get(word) if word not in known else None
        if parts:
            read.extend(parts)
            joined[len(read) - 1] = word
        else:
            read.append(word)
    return read, joined


def _runs(op: str, seq: list[str], start: int, end: int, joined: dict[int, str]) -> list[WordRun]:
    """seq[start:end] as runs of `op`, cut after each run-together word's last part, which carries it."""
    runs: list[WordRun] = []
    begin = start
    for index in range(start, end):
        if index in joined:
            runs.append(WordRun(op, " ".join(seq[begin : index + 1]), (joined[index],)))
            begin = index + 1
    if begin < end:
        runs.append(WordRun(op, " ".join(seq[begin:end])))
    return runs


def compare(old: str, new: str) -> tuple[list[WordRun], float]:
    """The word runs from `old` to `new` and their share of words in common, from one matching.

    `word_diff()` and `similarity()` each need the same matching of the two quotes' words; a
    timeline shows both for every step, so it matches once (the costly part) and reads both.
    Words one capture ran together are matched as their parts where the other has them apart
    (`split_joined`); the run their last part ends in names them (`WordRun.joined`).
    """
    old_words, new_words = words(old), words(new)
    a, joined_a = split_joined(old_words, new_words)
    b, joined_b = split_joined(new_words, old_words)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    runs: list[WordRun] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            # Both sides' run-together words, cut at either's: in an equal run the two advance together.
            both = {**{j1 + i - i1: word for i, word in joined_a.items() if i1 <= i < i2}, **joined_b}
            runs.extend(_runs("equal", b, j1, j2, both))
            continue
        if tag in ("delete", "replace"):
            runs.extend(_runs("delete", a, i1, i2, joined_a))
        if tag in ("insert", "replace"):
            runs.extend(_runs("insert", b, j1, j2, joined_b))
    return runs, matcher.ratio()
