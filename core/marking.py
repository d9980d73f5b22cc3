"""Spans marked in a text, and wording differences, as HTML: one way of writing each.

The public statement page, the admin's reading view and the ingest review all show a statement's
text with quoted (or suggested) spans marked; each calls `mark_spans` with its own rendering of a
marked piece. The text is rendered exactly, character for character (white space kept by CSS), so
that a passage selected in it is the text's own and its offset can be counted in the page. A
pledge's timeline, public and in the admin, shows a wording difference with `word_diff_html`.
"""

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


class Spanned(Protocol):
    """Anything marked in a text: a quote, a suggestion, a public page's span."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


M = TypeVar("M", bound=Spanned)


def segments(text: str, marks: Iterable[M]) -> Iterator[tuple[int, int, list[M]]]:
    """The text cut where any mark starts or ends: (start, end, marks covering that piece), in order.

    `marks` are anything with `start` and `end` offsets (Mark, a suggestion, a public page's span):
    spans may overlap. Each piece's marks keep the order `marks` has. One sweep along the text:
    a mark joins the covering set at its start and leaves it at its end, so a long statement with
    hundreds of quotes costs its cuts and marks, not their product.
    """
    marks = list(marks)
    starting = sorted(range(len(marks)), key=lambda index: marks[index].start)
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    active: dict[int, M] = {}
    ends: list[tuple[int, int]] = []  # a heap of (end, index of the mark)
    pending = 0
    for start, end in zip(cuts, cuts[1:], strict=False):
        while pending < len(starting) and marks[starting[pending]].start <= start:
            index = starting[pending]
            active[index] = marks[index]
            heapq.heappush(ends, (marks[index].end, index))
            pending += 1
        while ends and ends[0][0] <= start:
            active.pop(heapq.heappop(ends)[1], None)
        if start < end:
            yield start, end, [active[index] for index in sorted(active)] if len(active) > 1 else [*active.values()]


def mark_spans(
    text: str,
    spans: Iterable[M],
    piece: Callable[[str, Sequence[M]], str],
    anchor: Callable[[M], str] | None = None,
) -> SafeString:
    """The text as HTML, cut at every span's start and end, each piece escaped or marked.

    `spans` have `start` and `end` offsets and may overlap. A piece no span covers is the escaped
    text; a covered piece is `piece(its text, the spans covering it)`, which must escape the text.
    `anchor(span)`, when given, is what stands just before the piece where a span starts (an empty
    element a list links back to). One string rather than a template per piece: a statement has
    hundreds of them.
    """
    spans = sorted(spans, key=lambda s: (s.start, -s.end))
    parts: list[str] = []
    for start, end, covering in segments(text, spans):
        if not covering:
            parts.append(escape(text[start:end]))
            continue
        if anchor is not None:
            parts.extend(anchor(span) for span in covering if span.start == start)
        parts.append(piece(text[start:end], covering))
    return mark_safe("".join(parts))  # noqa: S308 - uncovered pieces are escaped here, covered ones by `piece`


def innermost(covering: Sequence[M]) -> M:
    """The shortest of the spans covering a piece (the first of them on a tie): the one a mark links to."""
    return covering[0] if len(covering) == 1 else min(covering, key=lambda s: (s.end - s.start, s.start))


# A wording difference's removed and added words: the tag, its class, and what a screen reader says first.
_DIFF_MARKUP = {"delete": ("del", "diff-delete", "removed: "), "insert": ("ins", "diff-insert", "added: ")}


class Run(Protocol):
    """A run of words of a wording difference (`commitments.wording.WordRun`)."""

    @property
    def op(self) -> str: ...  # "equal", "insert" or "delete"

    @property
    def text(self) -> str: ...

    @property
    def joined(self) -> tuple[str, ...]: ...  # run-together words of a capture this run reads as parts


def _joined_note(joined: Iterable[str]) -> str:
    """What a reader is told of words a capture ran together: a note, not a change."""
    said = ", ".join(f"“{escape(word)}”" for word in joined)
    return f' <span class="diff-joined">(joined in the capture: {said})</span>'


def word_diff_html(runs: Iterable[Run]) -> SafeString:
    """Word runs (`commitments.wording.WordRun`) as HTML in reading order: removed words in <del>, added
    ones in <ins>, each also said in words for a screen reader. Words a capture ran together, read as
    their parts, are followed by a note saying so."""
    parts: list[str] = []
    for run in runs:
        text = escape(run.text)
        note = _joined_note(run.joined) if run.joined else ""
        if run.op == "equal":
            parts.append(text + note)
            continue
        tag, css, said = _DIFF_MARKUP[run.op]
        parts.append(f'<{tag} class="{css}"><span class="visually-hidden">{said}</span>{text}</{tag}>{note}')
    return mark_safe(" ".join(parts))  # noqa: S308 - every run's text is escaped above
