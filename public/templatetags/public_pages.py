"""Template helpers of the public pages: change kinds as a symbol and a word, figures with their hedge."""

from django import template
from django.utils.html import format_html

from commitments.models import ChangeKind, ImplementationStatus

from ..charts import figure_label

register = template.Library()

# A symbol beside each word, so a change kind never rests on colour alone (the legend explains them).
CHANGE_SYMBOLS = {
    ChangeKind.NEW: "+",
    ChangeKind.REPEATED: "=",
    ChangeKind.STRENGTHENED: "▲",
    ChangeKind.WEAKENED: "▼",
    ChangeKind.WIDENED: "↔",
    ChangeKind.NARROWED: "→←",
}

CHANGE_MEANINGS = {
    ChangeKind.NEW: "made for the first time",
    ChangeKind.REPEATED: "made again, in much the same terms",
    ChangeKind.STRENGTHENED: "a firmer or more concrete pledge than before",
    ChangeKind.WEAKENED: "a softer or vaguer pledge than before",
    ChangeKind.WIDENED: "covers more than before (places, actors, means)",
    ChangeKind.NARROWED: "covers less than before",
}


@register.simple_tag
def change_kind(kind):
    """A change kind as its symbol (hidden from screen readers, which read the word) and its word."""
    kind = ChangeKind(kind)
    return format_html(
        '<span class="kind-symbol" aria-hidden="true">{}</span> <span class="kind-word">{}</span>',
        CHANGE_SYMBOLS[kind],
        kind.label.lower(),
    )


@register.simple_tag
def change_legend():
    """Every change kind with its symbol, word and meaning, in the model's order."""
    return [(kind, CHANGE_SYMBOLS[kind], kind.label.lower(), CHANGE_MEANINGS[kind]) for kind in ChangeKind]


@register.filter
def figure_text(figure):
    return figure_label(figure)


@register.filter
def status_label(value):
    """An implementation status's label, e.g. “Not yet assessed”."""
    return ImplementationStatus(value).label
