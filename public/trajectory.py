"""A pledge's course in one line, the answer its page opens with: where it was first made, how it changed
at each meeting after, and where it was made last.

"First made Berlin 2016 · Paris 2019: strengthened (no. 2), weakened (no. 3) · widened Copenhagen 2020
· weakened Rome 2021 (nos. 5, 6) — latest: Rome 2021". Each step links to its card on the page; where a
meeting holds several of the pledge's commitments, their numbers (as the cards and the matrix's chips are
numbered) say which commitment each change is. Written from the timeline's steps: no query of its own.
"""

from html import escape

from markupsafe import Markup

from commitments.models import ChangeKind

# How each change kind reads as a step of the course; a "new" commitment after the first meeting is
# the pledge made anew, in other words.
FIRST = "first made"
VERBS = {
    ChangeKind.NEW.value: "made anew",
    ChangeKind.REPEATED.value: "repeated",
    ChangeKind.STRENGTHENED.value: "strengthened",
    ChangeKind.WEAKENED.value: "weakened",
    ChangeKind.WIDENED.value: "widened",
    ChangeKind.NARROWED.value: "narrowed",
}


def _meetings(steps):
    """The steps' entries grouped by meeting, in order: [(meeting, [entries])]."""
    groups = []
    for step in steps:
        entry = step.entry
        meeting = entry.commitment.statement.meeting
        if groups and groups[-1][0].pk == meeting.pk:
            groups[-1][1].append(entry)
        else:
            groups.append((meeting, [entry]))
    return groups


def _numbers(entries):
    """The entries' numbers, each a link to its card: "no. 2", "nos. 5, 6"."""
    links = ", ".join(
        f'<a href="#c-{escape(entry.commitment.slug)}" title="{escape(entry.commitment.summary)}">{entry.position}</a>'
        for entry in entries
    )
    return f"{'no.' if len(entries) == 1 else 'nos.'} {links}"


def _verb(kind, first):
    return FIRST if first and kind == ChangeKind.NEW.value else VERBS.get(kind, kind)


def trajectory_line(steps, *, opens=True, closes=True):
    """The course of a pledge from its timeline's `TimelineStep`s (in position order), as HTML; empty without steps.

    A page of a long pledge's timeline gives its own steps: unless they `open` the pledge, its first
    meeting is not where it was first made, and unless they `close` it, its last is not the latest."""
    groups = _meetings(steps)
    parts = []
    for index, (meeting, entries) in enumerate(groups):
        name = escape(meeting.short_name())
        kinds = {}
        for entry in entries:
            kinds.setdefault(entry.change_kind, []).append(entry)
        if len(kinds) == 1:
            [(kind, same)] = kinds.items()
            verb = _verb(kind, opens and index == 0)
            if len(same) == 1:
                parts.append(f'<a href="#c-{escape(same[0].commitment.slug)}">{verb} {name}</a>')
            else:
                parts.append(f"{verb} {name} ({_numbers(same)})")
        else:
            first = opens and index == 0
            changes = ", ".join(f"{_verb(kind, first)} ({_numbers(same)})" for kind, same in kinds.items())
            parts.append(f"{name}: {changes}")
    if not parts:
        return Markup("")
    line = " · ".join(parts)
    # Capitalised as the start of a sentence, past any opening tag.
    cut = line.index(">") + 1 if line.startswith("<") else 0
    line = line[:cut] + line[cut].upper() + line[cut + 1 :]
    if len(groups) > 1 and closes:
        line += f" — latest: {escape(groups[-1][0].short_name())}"
    return Markup(line)  # noqa: S704 - every value is escaped above (positions are integers)
