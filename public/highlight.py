"""A statement's verbatim text with every quoted span marked and linked to what quotes it."""

from dataclasses import dataclass
from html import escape

from django.utils.safestring import mark_safe

from meetings.reading import segments


@dataclass(frozen=True)
class Span:
    """A quoted span of the text: `kind` is commitment, figure or participation; `key` names its anchors."""

    start: int
    end: int
    kind: str
    key: str


def highlighted_text(text, spans):
    """The text as HTML: each quoted stretch a <mark> linking to the innermost span covering it.

    Spans may overlap (a figure inside a commitment's quote): the text is cut at every span's
    start and end (the segments the admin's reading view uses too), and each piece is marked with
    the kinds of all spans covering it. An empty element with the id `text-<key>` stands where each
    span starts, so a list can link back to it. Built as one string because the text is shown with
    its own line breaks (pre-wrap); a statement has hundreds of pieces, so no template per piece.
    """
    spans = sorted(spans, key=lambda s: (s.start, -s.end))
    # What each span puts in the page, escaped once (by the span's identity: hashing a dataclass costs more).
    anchors = {id(span): f'<span class="anchor" id="text-{escape(span.key)}"></span>' for span in spans}
    links = {id(span): f'"#{escape(span.key)}"' for span in spans}
    parts = []
    for start, end, covering in segments(text, spans):
        piece = escape(text[start:end])
        if not covering:
            parts.append(piece)
            continue
        parts.extend(anchors[id(span)] for span in covering if span.start == start)
        if len(covering) == 1:
            innermost, kinds = covering[0], f"q-{escape(covering[0].kind)}"
        else:
            innermost = min(covering, key=lambda s: (s.end - s.start, s.start))
            kinds = " ".join(f"q-{escape(kind)}" for kind in sorted({s.kind for s in covering}))
        parts.append(f'<mark class="q {kinds}"><a href={links[id(innermost)]}>{piece}</a></mark>')
    return mark_safe("".join(parts))  # noqa: S308 - every piece and attribute is escaped above
