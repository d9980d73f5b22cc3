"""How the public pages say things: change kinds as a symbol and a word, figures with their hedge, statuses."""

import re

from django.db.models import CharField, Value
from django.utils.html import escape, format_html
from markupsafe import Markup

from commitments.models import ChangeKind, Commitment, Strength, Thread, Verdict
from commitments.verdicts import VERDICT_MEANINGS, VERDICT_ORDER
from core.spans import display_text
from meetings.models import Meeting, MeetingFormat, Statement, StatementKind

from .charts import figure_label
from .links import page_url

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

# Built once, by value ("new"): the matrix shows a change kind in every cell.
CHANGE_MARKUP = {
    kind.value: format_html(
        '<span class="kind-symbol" aria-hidden="true">{}</span> <span class="kind-word">{}</span>',
        CHANGE_SYMBOLS[kind],
        kind.label.lower(),
    )
    for kind in ChangeKind
}


def change_kind(kind):
    """A change kind as its symbol (hidden from screen readers, which read the word) and its word."""
    return CHANGE_MARKUP[ChangeKind(kind).value]


def change_legend():
    """Every change kind with its symbol, word and meaning, in the model's order."""
    return [(kind, CHANGE_SYMBOLS[kind], kind.label.lower(), CHANGE_MEANINGS[kind]) for kind in ChangeKind]


# A symbol beside each verdict's word, as for change kinds: never colour alone.
VERDICT_SYMBOLS = {
    Verdict.KEPT: "✓",
    Verdict.COMPROMISE: "◐",
    Verdict.IN_THE_WORKS: "↻",
    Verdict.STALLED: "‖",
    Verdict.BROKEN: "✗",
    Verdict.NOT_STARTED: "○",
    Verdict.NO_EVIDENCE: "?",
    Verdict.NOT_ASSESSED: "–",
}

# Built once, by value: the matrix marks a verdict in many cells.
VERDICT_MARKUP = {
    verdict.value: format_html(
        '<span class="verdict verdict-{}"><span class="verdict-symbol" aria-hidden="true">{}</span> '
        '<span class="verdict-word">{}</span></span>',
        verdict.value,
        VERDICT_SYMBOLS[verdict],
        verdict.label.lower(),
    )
    for verdict in Verdict
}


def verdict(value):
    """A verdict as its symbol (hidden from screen readers) and its word, on its tint."""
    return VERDICT_MARKUP[Verdict(value).value]


def verdict_legend():
    """Every verdict with its symbol, word and meaning, in the order tables give them."""
    return [(v, VERDICT_SYMBOLS[v], v.label.lower(), VERDICT_MEANINGS[v]) for v in VERDICT_ORDER]


def figure_text(figure):
    """A figure with its qualifier, as a reader says it: “more than 7.7 million people”."""
    return figure_label(figure)


def label(value, choices):
    """A field's value as its choices' label (“Not yet assessed”), or the value itself if it is not one of them.

    What `get_FOO_display()` gives, for rows read without model instances and in long lists (that
    method builds a dictionary of the choices at every call).
    """
    try:
        return choices(value).label
    except ValueError:
        return value


# A quote in a list is cut to about this many characters, at a word.
SHORT_QUOTE = 220


def shortened(quote, limit=SHORT_QUOTE):
    """A quote for a list: capture artefacts folded (`display_text`), cut at a word with “…” past `limit`."""
    text = display_text(quote)
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip(",;: ") + "…"


def note_text(note):
    """A curator's note as a reader reads it: the capture's escaped dollar (`\\$`, copied from a quote) as `$`.

    Notes are plain text, escaped where they are written into a page; the quotes themselves keep the
    capture's characters (`display_text` folds them for reading).
    """
    return note.replace("\\$", "$") if note else note


# A record a curator's note names by its slug ("see rome-2021-african-observers-welcome"): lower-case
# words joined by hyphens, not part of an address or a longer word.
_NAMED_SLUG = re.compile(r"(?<![\w/.-])[a-z0-9]+(?:-[a-z0-9]+)+(?![\w/-])")

# The records a note may name, first to last where two kinds share a slug: (model, its name, its page).
_NAMEABLE = (
    (Commitment, "summary", "public:commitment"),
    (Thread, "title", "public:pledge"),
    (Statement, "title", "public:statement"),
    (Meeting, "name", "public:meeting"),
)


def named_records(notes):
    """{slug: (name, page's URL name)} of the records that the notes name by their slugs.

    One query for all the notes of a page (a union over the kinds of record), and none when no note
    has a word shaped like a slug. Hyphenated words that are no record's slug ("post-territorial")
    are simply not found.
    """
    candidates = {word for note in notes if note for word in _NAMED_SLUG.findall(note)}
    if not candidates:
        return {}
    queries = [
        model._default_manager.published()
        .filter(slug__in=candidates)
        .order_by()
        .values_list("slug", field, Value(rank, output_field=CharField()))
        for rank, (model, field, _) in enumerate(_NAMEABLE)
    ]
    found = {}
    for slug, name, rank in sorted(queries[0].union(*queries[1:], all=True), key=lambda row: row[2], reverse=True):
        found[slug] = (name, _NAMEABLE[int(rank)][2])
    return found


def linked_note(note, records):
    """A curator's note as HTML: its text (`note_text`) escaped, each slug of a record it names
    (`named_records`) a link to that record's page under the record's name."""
    text = note_text(note) or ""
    parts, last = [], 0
    for match in _NAMED_SLUG.finditer(text):
        record = records.get(match.group())
        if record is None:
            continue
        name, route = record
        parts += [
            escape(text[last : match.start()]),
            f'<a href="{escape(page_url(route, match.group()))}">{escape(name)}</a>',
        ]
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("".join(parts))  # noqa: S704 - every piece of the note is escaped above


def long_date(value):
    """A date as the pages write it: 1 March 2022 (as `Meeting.date_label()` does), or nothing for none."""
    return f"{value.day} {value:%B} {value.year}" if value else ""


# The choices the templates name in `label`.
CHOICES = {"MeetingFormat": MeetingFormat, "StatementKind": StatementKind, "Strength": Strength}
