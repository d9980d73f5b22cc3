"""Markup of the public pages' longest lists, written in Python rather than in their templates.

A template engine spends about a microsecond on each value it prints, and a statement's list of
its hundred commitments prints a thousand: written here, the list costs a third of that. The
markup is the templates' own; the templates say where it goes.
"""

from html import escape

from markupsafe import Markup

from commitments.models import ImplementationStatus, Strength

from .display import CHANGE_MARKUP
from .links import Route

STRENGTHS = dict(Strength.choices)
STATUSES = {value: label.lower() for value, label in ImplementationStatus.choices}


def quoted_commitments(commitments, places):
    """A statement's commitments as list items: summary, where the text quotes it, how it is filed, its
    latest status and its places in recurring pledges.

    `commitments` are `Commitment.objects.rows_quoting()` rows; `places` is `ThreadEntry.objects.places_for()`.
    """
    pledge_url = Route("public:pledge")
    items = []
    for commitment in commitments:
        slug = escape(commitment["slug"])
        items.append(
            f'<li id="c-{slug}">\n'
            f'<p><strong>{escape(commitment["summary"])}</strong> <a href="#text-c-{slug}">In the text, characters '
            f"{commitment['start']}–{commitment['end']}</a></p>\n"
            f'<p class="meta">{escape(commitment["line_of_effort__name"])} · '
            f"{escape(STRENGTHS.get(commitment['strength'], commitment['strength']))} · "
            f"actor: {escape(commitment['actor'])} · "
            f"latest status: {escape(STATUSES.get(commitment['latest_status'], commitment['latest_status']))}</p>\n"
        )
        entries = places.get(commitment["id"])
        if entries:
            items.append('<ul class="places">\n')
            for entry in entries:
                kind = entry["change_kind"]
                items.append(
                    f'<li>Recurring pledge <a href="{escape(pledge_url(entry["thread__slug"]))}#c-{slug}">'
                    f"{escape(entry['thread__title'])}</a>, no. {entry['position']}: "
                    f'<span class="kind kind-{escape(kind)}">{CHANGE_MARKUP[kind]}</span></li>\n'
                )
            items.append("</ul>\n")
        items.append("</li>\n")
    return Markup("".join(items))  # noqa: S704 - every value is escaped above
