"""A statement's text as curators read it in the admin: every quoted span marked and linked to what quotes it.

The admin's "new … from selection" links (static `meetings/admin/reading-view.js`) count a selected
passage's offset in the page, which `core.marking.mark_spans` keeps character for character.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join

from ..marking import innermost, mark_spans
from ..spans import display_text


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


def marked_text(text, marks):
    """The text as HTML, each marked piece a link to the innermost mark covering it, titled with all of them."""
    return mark_spans(text, marks, _linked_piece, anchor=lambda m: format_html('<span id="{}"></span>', m.anchor))


def _linked_piece(piece, covering):
    kinds = sorted({m.kind for m in covering})
    return format_html(
        '<a class="{}" href="{}" title="{}">{}</a>',
        " ".join(["mark", *(f"mark-{kind}" for kind in kinds)]),
        innermost(covering).url,
        "; ".join(m.label for m in covering),
        piece,
    )


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
