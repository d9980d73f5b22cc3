"""A statement's text as curators read it: every quoted span marked and linked to what quotes it.

The text is rendered exactly, character for character (white space kept by CSS), so that a
passage selected in it is the text's own and its offset can be counted in the page: the
admin's "new … from selection" links (static `meetings/admin/reading-view.js`) rely on it.
"""

import heapq
from dataclasses import dataclass

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from .quotes import display_text


@dataclass(frozen=True)
class Mark:
    """A quoted span of the text and what quotes it: its kind (a CSS class), a label and a link."""

    start: int
    end: int
    kind: str  # "commitment", "figure", "participation"
    key: str  # unique among marks of its kind: the anchor is `mark-<kind>-<key>`
    label: str
    url: str

    @property
    def anchor(self):
        return f"mark-{self.kind}-{self.key}"


def segments(text, marks):
    """The text cut where any mark starts or ends: (start, end, marks covering that piece), in order.

    `marks` are anything with `start` and `end` offsets (Mark, a suggestion, a public page's span):
    spans may overlap. Each piece's marks keep the order `marks` has. One sweep along the text:
    a mark joins the covering set at its start and leaves it at its end, so a long statement with
    hundreds of quotes costs its cuts and marks, not their product.
    """
    marks = list(marks)
    starting = sorted(range(len(marks)), key=lambda index: marks[index].start)
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    active, ends, pending = {}, [], 0
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


def marked_text(text, marks):
    """The text as HTML, each marked piece a link to the innermost mark covering it, titled with all of them."""
    marks = sorted(marks, key=lambda m: (m.start, -m.end))
    parts = []
    for start, end, covering in segments(text, marks):
        # Anchors for the marks starting here: empty, so the text stays the text.
        parts.extend(format_html('<span id="{}"></span>', m.anchor) for m in covering if m.start == start)
        piece = text[start:end]
        if not covering:
            parts.append(escape(piece))
            continue
        innermost = min(covering, key=lambda m: m.end - m.start)
        kinds = sorted({m.kind for m in covering})
        parts.append(
            format_html(
                '<a class="{}" href="{}" title="{}">{}</a>',
                " ".join(["mark", *(f"mark-{kind}" for kind in kinds)]),
                innermost.url,
                "; ".join(m.label for m in covering),
                piece,
            )
        )
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part is escaped above


# What each kind of mark looks like, said in words as well as shown (colour is not the only cue).
LEGEND = {
    "commitment": "commitment (solid underline)",
    "figure": "figure (dotted underline)",
    "participation": "participation record (dashed outline)",
}
PLURALS = {"commitment": "commitments", "figure": "figures", "participation": "participation records"}


def reading_view(text, marks, actions=()):
    """The marked text in a reading pane, with its legend and links that start a record from a selection.

    `actions` are (label, url) pairs: the page's script adds `quote` and `start` of the selection
    to each url (an admin add page, which reads its initial values from them).
    """
    kinds = sorted({m.kind for m in marks}, key=list(LEGEND).index)
    legend = format_html_join(" ", '<span class="mark mark-{}">{}</span>', ((kind, LEGEND[kind]) for kind in kinds))
    counted = ((sum(m.kind == kind for m in marks), kind) for kind in kinds)
    counts = format_html_join(", ", "{} {}", ((n, kind if n == 1 else PLURALS[kind]) for n, kind in counted))
    links = format_html_join(
        " ",
        '<a class="button new-from-selection" data-base-url="{}" hidden>{}</a>',
        ((url, label) for label, url in actions),
    )
    return format_html(
        '<div class="reading">'
        '<p class="reading-legend">Marked: {} — {}. Each mark links to its record; hover for its name.</p>'
        '<p class="reading-actions">{} <span class="reading-hint" aria-live="polite">{}</span></p>'
        '<div class="reading-view" tabindex="0" aria-label="Statement text">{}</div>'
        "</div>",
        legend or "nothing yet",
        counts or "no quotes",
        links,
        "Select a passage of the text to start a record with it as its quote." if actions else "",
        marked_text(text, marks),
    )


def shortened(text, limit=90):
    """A long text cut to `limit` characters for a narrow column, the whole of it in the title (on hover)."""
    text = display_text(text)
    if len(text) <= limit:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[: limit - 1].rstrip())
