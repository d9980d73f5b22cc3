"""A statement's verbatim text with every quoted span marked and linked to what quotes it."""

from dataclasses import dataclass
from html import escape

from core.marking import innermost, mark_spans


@dataclass(frozen=True)
class Span:
    """A quoted span of the text: `kind` is commitment, figure or participation; `key` names its anchors."""

    start: int
    end: int
    kind: str
    key: str


def highlighted_text(text, spans):
    """The text as HTML: each quoted stretch a <mark> linking to the innermost span covering it.

    Spans may overlap (a figure inside a commitment's quote): each piece is marked with the kinds of
    all spans covering it (`core.marking.mark_spans`, as the admin's reading view and the ingest
    review mark theirs). An empty element with the id `text-<key>` stands where each span starts, so
    a list can link back to it.
    """
    return mark_spans(text, spans, _marked_piece, anchor=_anchor)


def _anchor(span):
    return f'<span class="anchor" id="text-{escape(span.key)}"></span>'


def _marked_piece(piece, covering):
    kinds = " ".join(f"q-{escape(kind)}" for kind in sorted({s.kind for s in covering}))
    return f'<mark class="q {kinds}"><a href="#{escape(innermost(covering).key)}">{escape(piece)}</a></mark>'
