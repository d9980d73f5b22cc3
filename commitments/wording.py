"""The wording difference between two quotes of a recurring pledge, computed word by word."""

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

    def as_dict(self) -> dict[str, str]:
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


def compare(old: str, new: str) -> tuple[list[WordRun], float]:
    """The word runs from `old` to `new` and their share of words in common, from one matching.

    `word_diff()` and `similarity()` each need the same matching of the two quotes' words; a
    timeline shows both for every step, so it matches once (the costly part) and reads both.
    """
    a, b = words(old), words(new)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    runs = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(WordRun("equal", " ".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            runs.append(WordRun("delete", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            runs.append(WordRun("insert", " ".join(b[j1:j2])))
    return runs, matcher.ratio()
