"""The pledge matrix as the home page shows it: recurring pledges by line of effort, a cell per meeting.

At scale it shows a window: the pledges a page at a time, and the meetings of a range of years, as
many as a screen can hold in columns.
"""

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from commitments import search
from commitments.models import ThreadEntry, Verdict
from commitments.past_matrix import matrix_cells_as_of, matrix_entries_as_of, matrix_threads_as_of
from commitments.verdicts import newest_verdict
from meetings import windows
from meetings.models import Meeting
from meetings.windows import MeetingWindow, per_year_of

from .display import CHANGE_MARKUP, VERDICT_MARKUP
from .links import Route, card_in_pledge, page_url, with_query
from .paging import paginate, paginate_counted

# Recurring pledges in a page of the matrix.
PLEDGES_PER_PAGE = 50

# With no years asked for, the columns are the latest meetings: whole years, at least this many meetings.
RECENT_MEETINGS = 12
# An asked range of years is cut to whole years holding at most this many meetings (one year at least).
MOST_MEETINGS = 24


def meeting_window(per_year, year_from=None, year_to=None) -> MeetingWindow:
    """The years whose meetings fit a screen as the matrix's columns (`meetings.windows.meeting_window`):
    at least `RECENT_MEETINGS` of the latest by default, at most `MOST_MEETINGS` of a range asked for."""
    return windows.meeting_window(per_year, year_from, year_to, recent=RECENT_MEETINGS, most=MOST_MEETINGS)


@dataclass(frozen=True)
class Column:
    """A meeting as a column of the matrix, with the markup of its cells that is the same in every row."""

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
        columns.append(Column(opening=opening, absent=absent, name=name))
    return columns


@dataclass
class MatrixRow:
    """A recurring pledge's row: its commitments at each column's meeting, with their change kinds."""

    slug: str
    title: str
    url: str  # the pledge's page; each cell links a quote on it
    columns: list[Column]
    # column index -> [(commitment slug, change kind's value, position in the pledge, verdict or None)]
    entries: dict = field(default_factory=dict)

    def cells(self):
        """The row's cells as HTML: the change kind of each commitment, or a dash where the pledge was not made.

        Where a meeting holds several of the pledge's commitments, each chip also shows the commitment's
        number in the pledge (its position, as its card on the pledge's page is numbered), so that two
        chips of one cell, a "▲ strengthened" beside a "▼ weakened", say which commitment each is.

        Written out here rather than in the template: a page of the matrix has about a thousand cells.
        """
        title = escape(self.title)
        # The pledge's page, and its query (a past matrix's `as_of`) to which a long pledge's page is added.
        path, mark, query = self.url.partition("?")
        url, query = escape(path), mark + query

        def card(position, commitment):
            return url + escape(card_in_pledge(position, commitment, query))

        parts = []
        for index, column in enumerate(self.columns):
            made = self.entries.get(index)
            if made is None:
                parts.append(column.absent)
                continue
            parts.append(column.opening)
            if len(made) == 1:
                [(commitment, kind, position, verdict)] = made
                parts.append(
                    f'<a class="kind kind-{escape(kind)}" href="{card(position, commitment)}">{CHANGE_MARKUP[kind]}'
                    f'<span class="visually-hidden">: {title}, {column.name}</span></a>{_verdict(verdict)}'
                )
            else:
                parts.extend(
                    f'<a class="kind kind-{escape(kind)}" href="{card(position, commitment)}">{CHANGE_MARKUP[kind]} '
                    f'<span class="kind-no"><span class="visually-hidden">no. </span>{position}</span>'
                    f'<span class="visually-hidden">: {title}, {column.name}</span></a>{_verdict(verdict)}'
                    for commitment, kind, position, verdict in made
                )
            parts.append("</td>")
        return Markup("".join(parts))  # noqa: S704 - every value is escaped above (positions are integers)


def _verdict(verdict):
    """A cell's verdict beside its change kind, where its commitment is assessed (an unmarked cell is not)."""
    if verdict is None or verdict == Verdict.NOT_ASSESSED:
        return ""
    return f'<span class="visually-hidden">, verdict:</span> {VERDICT_MARKUP[verdict]}'


@dataclass
class LineGroup:
    line: object
    rows: list[MatrixRow]


def build_matrix(entries, meetings, lines, query=""):
    """Group `ThreadEntry.objects.meeting_matrix()` rows into line groups of rows with a cell per meeting.

    `meetings` are the columns, in order; entries at a meeting that is not a column are left out.
    `lines` are all lines of effort (a row's line is looked up by slug, without a query). `query`
    ("?as_of=…") is kept by the links to the pledges.
    """
    columns = columns_of(meetings)
    pledge_url = Route("public:pledge", query)
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
        row.entries.setdefault(index, []).append(
            (entry["commitment__slug"], entry["change_kind"], int(entry["position"]), entry.get("verdict"))
        )
    return groups


@dataclass
class MatrixPage:
    """What the home page shows for valid filters: a window of meetings, a page of pledges, ways to move."""

    window: MeetingWindow
    columns: list  # the window's meetings
    groups: list[LineGroup]  # the page's pledges, by line of effort
    pager: object  # public.paging.Pager
    earlier: str  # the matrix's address with the meetings before the window ("" if none)
    later: str  # and with those after it

    def years(self, asked_from, asked_to):
        """The years of the commitments shown: the window's when it is narrower than asked, else those asked."""
        return (self.window.first, self.window.last) if self.window.narrowed else (asked_from, asked_to)


def matrix_page(filters, per_year, lines, page):
    """The matrix for valid filters (`MatrixFilterForm.cleaned_data`) and a page number from the query string.

    `per_year` is `Meeting.objects.per_year()` and `lines` every line of effort, both read by the
    view for the form: with them, three queries: the window's meetings, a page of the pledges made at
    them with their count (`paginate_counted`), the page's entries.
    """
    window = meeting_window(per_year, filters["year_from"], filters["year_to"])
    columns = (
        list(Meeting.objects.published().in_years(window.first, window.last).in_order()) if window.meetings else []
    )
    at_columns = ThreadEntry.objects.published().at_meetings([meeting.pk for meeting in columns])
    chosen = at_columns.of_threads_matching(filters["q"]).thread_ids_among()
    if filters["line_of_effort"]:  # asked of the pledges found, not of every entry of the line's pledges
        chosen = chosen.filter(line_of_effort__slug=filters["line_of_effort"])
    home = page_url("public:matrix")
    kept = {"line_of_effort": filters["line_of_effort"], "q": filters["q"]}
    # A page of the pledges and their count in one query, never a list of every one; found through the
    # window's entries, never by asking each pledge of the record whether it has one there.
    pager = paginate_counted(
        chosen,
        PLEDGES_PER_PAGE,
        page,
        url=home,
        params={**kept, "year_from": filters["year_from"], "year_to": filters["year_to"]},
        label="recurring pledges",
    )
    # The page's pledges are those the filters chose (whole pledges, by their line and words): their
    # cells need no second search.
    # Each cell's verdict (its commitment's newest approved assessment) in the same query.
    cells = (
        at_columns.of_threads(pager.page.object_list).meeting_matrix().annotate(verdict=newest_verdict("commitment"))
    )
    return MatrixPage(
        window=window,
        columns=columns,
        groups=build_matrix(cells, columns, lines),
        pager=pager,
        earlier="" if window.earlier is None else with_query(home, {**kept, "year_to": window.earlier}),
        later="" if window.later is None else with_query(home, {**kept, "year_from": window.later}),
    )


def matrix_page_as_of(filters, meetings, lines, page, state):
    """The matrix for valid filters as it stood at `state.moment` (`public.as_of.PastState`), from the published
    meetings and the lines of effort of then the view read: the same window and pages as today's, through
    `commitments.past_matrix` (as the API's matrix then), two queries: the pledges chosen, the page's cells
    with their verdicts then. Its links keep the moment."""
    when = state.moment
    window = meeting_window(per_year_of(meetings), filters["year_from"], filters["year_to"])
    columns = [m for m in meetings if window.holds(m.start_date)]
    entries = matrix_entries_as_of(when, [meeting.pk for meeting in columns])
    line = next((line for line in lines if line.slug == filters["line_of_effort"]), None)
    concepts = search.parse(filters["q"]) if filters["q"] else []
    chosen = []
    # Words that all say nothing ("the") find nothing, as today's search does.
    if columns and (concepts or not filters["q"]):
        threads = matrix_threads_as_of(when, entries, line_id=line.pk if line else None, concepts=concepts)
        chosen = list(threads.values_list("id", flat=True))
    home = page_url("public:matrix")
    kept = {"line_of_effort": filters["line_of_effort"], "q": filters["q"], "as_of": state.stamp}
    pager = paginate(
        chosen,
        PLEDGES_PER_PAGE,
        page,
        url=home,
        params={**kept, "year_from": filters["year_from"], "year_to": filters["year_to"]},
        label="recurring pledges",
    )
    shown = list(pager.page.object_list)
    cells = matrix_cells_as_of(entries, when, threads=shown, verdicts=True) if shown else []
    return MatrixPage(
        window=window,
        columns=columns,
        groups=build_matrix(cells, columns, lines, state.query),
        pager=pager,
        earlier="" if window.earlier is None else with_query(home, {**kept, "year_to": window.earlier}),
        later="" if window.later is None else with_query(home, {**kept, "year_from": window.later}),
    )
