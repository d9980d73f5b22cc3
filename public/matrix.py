"""The pledge matrix as the home page shows it: recurring pledges by line of effort, a cell per meeting."""

from dataclasses import dataclass, field

from commitments.models import ChangeKind


@dataclass
class MatrixEntry:
    """One commitment of a pledge at one meeting, and how it changed from the one before."""

    commitment: str
    change_kind: ChangeKind


@dataclass
class MatrixCell:
    meeting: object
    entries: list[MatrixEntry] = field(default_factory=list)


@dataclass
class MatrixRow:
    slug: str
    title: str
    cells: list[MatrixCell]


@dataclass
class LineGroup:
    line: object
    rows: list[MatrixRow]


def build_matrix(entries, meetings, lines):
    """Group `ThreadEntry.objects.meeting_matrix()` rows into line groups of rows with a cell per meeting.

    `meetings` are the columns, in order; entries at a meeting that is not a column are left out.
    `lines` are all lines of effort (a row's line is looked up by slug, without a query).
    """
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
                cells=[MatrixCell(meeting=meeting) for meeting in meetings],
            )
            rows[row.slug] = row
            line = line_by_slug[entry["thread__line_of_effort__slug"]]
            if not groups or groups[-1].line != line:
                groups.append(LineGroup(line=line, rows=[]))
            groups[-1].rows.append(row)
        row.cells[index].entries.append(
            MatrixEntry(commitment=entry["commitment__slug"], change_kind=ChangeKind(entry["change_kind"]))
        )
    return groups
