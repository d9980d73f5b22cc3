"""The pledge matrix as the home page shows it: recurring pledges by line of effort, a cell per meeting.

At scale it shows a window: the pledges a page at a time (the view pages them), and the meetings of
a range of years, as many as a screen can hold in columns.
"""

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from .display import CHANGE_MARKUP
from .links import Route

# With no years asked for, the columns are the latest meetings: whole years, at least this many meetings.
RECENT_MEETINGS = 12
# An asked range of years is cut to whole years holding at most this many meetings (one year at least).
MOST_MEETINGS = 24


@dataclass(frozen=True)
class MeetingWindow:
    """The years whose meetings are the matrix's columns, and what lies outside them."""

    first: int | None  # None: no meeting at all
    last: int | None
    meetings: int
    narrowed: bool  # fewer years than asked: the latest by default, or an asked range cut to fit
    earlier: int | None  # the latest year with meetings before the window, if any
    later: int | None  # the first year with meetings after it, if any


def meeting_window(per_year, year_from=None, year_to=None):
    """The window of years to show, from `Meeting.objects.per_year()` rows and the years asked for.

    No years asked: the latest years that hold at least `RECENT_MEETINGS` meetings (all of them in a
    small tracker). A range, or a first year: from its first year on; a last year only: back from it;
    either way whole years, at most `MOST_MEETINGS` meetings unless a single year holds more.
    """
    asked = [(year, n) for year, n in per_year if (year_from or 0) <= year <= (year_to or 9999)]
    latest_first = year_from is None
    chosen, total = [], 0
    for year, n in reversed(asked) if latest_first else asked:
        enough = total >= RECENT_MEETINGS if year_from is None and year_to is None else False
        if chosen and (enough or total + n > MOST_MEETINGS):
            break
        chosen.append(year)
        total += n
    if not chosen:
        return MeetingWindow(year_from, year_to, 0, False, None, None)
    first, last = min(chosen), max(chosen)
    years = [year for year, _ in per_year]
    return MeetingWindow(
        first=first,
        last=last,
        meetings=total,
        narrowed=len(chosen) < len(asked),
        earlier=max((year for year in years if year < first), default=None),
        later=min((year for year in years if year > last), default=None),
    )


@dataclass(frozen=True)
class Column:
    """A meeting as a column of the matrix, with the markup of its cells that is the same in every row."""

    meeting: object
    opening: str  # the cell's opening tag
    absent: str  # the whole cell of a pledge not made at this meeting
    name: str  # the meeting's short name, escaped


def columns_of(meetings):
    """The matrix's columns, one per meeting, in the given order."""
    columns = []
    for meeting in meetings:
        opening = f'<td data-meeting="{escape(meeting.slug)}">'
        name = escape(meeting.short_name())
        absent = (
            f'{opening}<span class="kind kind-absent"><span class="kind-symbol" aria-hidden="true">–</span>'
            f'<span class="visually-hidden">not made at {name}</span></span></td>'
        )
        columns.append(Column(meeting=meeting, opening=opening, absent=absent, name=name))
    return columns


@dataclass
class MatrixRow:
    """A recurring pledge's row: its commitments at each column's meeting, with their change kinds."""

    slug: str
    title: str
    url: str  # the pledge's page; each cell links a quote on it
    columns: list[Column]
    entries: dict = field(default_factory=dict)  # column index -> [(commitment slug, change kind's value)]

    def cells(self):
        """The row's cells as HTML: the change kind of each commitment, or a dash where the pledge was not made.

        Written out here rather than in the template: a page of the matrix has about a thousand cells.
        """
        title, url = escape(self.title), escape(self.url)
        parts = []
        for index, column in enumerate(self.columns):
            made = self.entries.get(index)
            if made is None:
                parts.append(column.absent)
                continue
            parts.append(column.opening)
            parts.extend(
                f'<a class="kind kind-{escape(kind)}" href="{url}#c-{escape(commitment)}">{CHANGE_MARKUP[kind]}'
                f'<span class="visually-hidden">: {title}, {column.name}</span></a>'
                for commitment, kind in made
            )
            parts.append("</td>")
        return Markup("".join(parts))  # noqa: S704 - every value is escaped above


@dataclass
class LineGroup:
    line: object
    rows: list[MatrixRow]


def build_matrix(entries, meetings, lines):
    """Group `ThreadEntry.objects.meeting_matrix()` rows into line groups of rows with a cell per meeting.

    `meetings` are the columns, in order; entries at a meeting that is not a column are left out.
    `lines` are all lines of effort (a row's line is looked up by slug, without a query).
    """
    columns = columns_of(meetings)
    pledge_url = Route("public:pledge")
    column = {meeting.slug: index for index, meeting in enumerate(meetings)}
    line_by_slug = {line.slug: line for line in lines}
    groups, rows = [], {}
    for entry in entries:
        index = column.get(entry["commitment__statement__meeting__slug"])
        if index is None:
            continue
        row = rows.get(entry["thread__slug"])
        if row is None:
            row = MatrixRow(
                slug=entry["thread__slug"],
                title=entry["thread__title"],
                url=pledge_url(entry["thread__slug"]),
                columns=columns,
            )
            rows[row.slug] = row
            line = line_by_slug[entry["thread__line_of_effort__slug"]]
            if not groups or groups[-1].line != line:
                groups.append(LineGroup(line=line, rows=[]))
            groups[-1].rows.append(row)
        row.entries.setdefault(index, []).append((entry["commitment__slug"], entry["change_kind"]))
    return groups
