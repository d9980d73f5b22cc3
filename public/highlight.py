"""A statement's verbatim text with every quoted span marked and linked to what quotes it."""

import heapq
from dataclasses import dataclass

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe


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
    start and end, and each piece is marked with the kinds of all spans covering it. An empty
    element with the id `text-<key>` stands where each span starts, so a list can link back to it.
    Built as one string because the text is shown with its own line breaks (pre-wrap).
    """
    spans = sorted(spans, key=lambda s: (s.start, -s.end))
    cuts = sorted({0, len(text)} | {s.start for s in spans} | {s.end for s in spans})
    parts, active, pending = [], [], 0
    for begin, finish in zip(cuts, cuts[1:], strict=False):
        while pending < len(spans) and spans[pending].start == begin:
            span = spans[pending]
            heapq.heappush(active, (span.end, pending))
            parts.append(format_html('<span class="anchor" id="text-{}"></span>', span.key))
            pending += 1
        while active and active[0][0] <= begin:
            heapq.heappop(active)
        piece = conditional_escape(text[begin:finish])
        covering = [spans[index] for _, index in active]
        if not covering:
            parts.append(piece)
            continue
        innermost = min(covering, key=lambda s: (s.end - s.start, s.start))
        kinds = " ".join(f"q-{kind}" for kind in sorted({s.kind for s in covering}))
        parts.append(format_html('<mark class="q {}"><a href="#{}">{}</a></mark>', kinds, innermost.key, piece))
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every piece is escaped above
