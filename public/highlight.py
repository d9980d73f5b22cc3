"""A statement's verbatim text with every quoted span marked and linked to what quotes it."""

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString

from commitments.search import marked_spans
from core.marking import innermost, mark_spans
from core.spans import display_text
from ingest.segments import segments

# At most this many characters of the text either side of a quote, however long its sentences.
CONTEXT_LIMIT = 600


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


@dataclass(frozen=True)
class InContext:
    """A quote among its statement's sentences: the passage as HTML, and whether the text goes on either side."""

    html: SafeString
    more_before: bool
    more_after: bool


def quote_in_context(text, start, end):
    """The sentences around a quote, exactly as the text has them, with the quote marked.

    The passage runs from the sentence before the one the quote starts in to the sentence after
    the one it ends in (as `ingest.segments` cuts the text), at most `CONTEXT_LIMIT` characters
    either side, cut at a space. Only the text within twice that of the quote is cut into sentences:
    a statement may run to hundreds of thousands of characters.
    """
    offset = max(0, start - 2 * CONTEXT_LIMIT)
    pieces = [
        (offset + piece.start, offset + piece.end)
        for piece in segments(text[offset : min(len(text), end + 2 * CONTEXT_LIMIT)])
    ]
    first, last = start, end
    for piece_start, piece_end in pieces:
        if piece_start <= start < piece_end:
            first = min(first, piece_start)
        if piece_start < end <= piece_end:
            last = max(last, piece_end)
    before = [piece_start for piece_start, piece_end in pieces if piece_end <= first]
    after = [piece_end for piece_start, piece_end in pieces if piece_start >= last]
    first = before[-1] if before else first
    last = after[0] if after else last
    if start - first > CONTEXT_LIMIT:
        space = text.find(" ", start - CONTEXT_LIMIT, start)
        first = space + 1 if space >= 0 else start - CONTEXT_LIMIT
    if last - end > CONTEXT_LIMIT:
        space = text.rfind(" ", end, end + CONTEXT_LIMIT)
        last = space if space >= 0 else end + CONTEXT_LIMIT
    marked = mark_spans(text[first:last], [Span(start - first, end - first, "commitment", "")], _quote_piece)
    return InContext(marked, bool(text[:first].strip()), bool(text[last:].strip()))


def _quote_piece(piece, covering):
    return f'<mark class="q q-commitment">{escape(piece)}</mark>'


def marked_words(text, concepts):
    """A quote or title as HTML, read as a capture is read (`core.spans.display_text`), with the words a
    search matched (`commitments.search.marked_spans`) in <mark class="match">."""
    shown = display_text(text)
    return mark_spans(shown, marked_spans(shown, concepts), _match_piece)


def _match_piece(piece, covering):
    return f'<mark class="match">{escape(piece)}</mark>'
