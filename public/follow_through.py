"""What became of the pledges, as the public pages show it: a pledge's verdict today and its course across
assessment cycles, and the follow-through page's verdicts by line of effort and by meeting, and members'
scores by member, each a chart and its table.

Readers see approved assessments only (`Assessment.objects.approved()`); counting is
`commitments.verdicts`'. The charts are drawn as `public.charts` draws the others: geometry here, the
template draws it, the stylesheet colours it, and each verdict also has its symbol and word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from commitments.assessment_parts import percent_of
from commitments.models import Assessment, AssessmentEvidence, Commitment, MemberScore
from commitments.verdicts import BY_LINE, BY_MEETING, BY_MEMBER, VERDICT_ORDER, VerdictCounts, overall, verdict_counts
from meetings.drafts import published_through
from meetings.models import Meeting

from .charts import BAR, HEADER, ROW, Sized
from .display import VERDICT_SYMBOLS

# The follow-through page counts the latest meetings' commitments by meeting, as many as a chart holds;
# the API's aggregate (linked from the page) gives every meeting.
MEETINGS_SHOWN = 12


# -- a pledge's follow-through ------------------------------------------------------------------------


@dataclass
class Reported:
    """An approved assessment as a pledge's page tells it: what was promised, what was reported, on what evidence."""

    assessment: Assessment
    commitment: Commitment  # what was promised: its quote and meeting
    evidence: list[AssessmentEvidence] = field(default_factory=list)
    superseded_by: list[Assessment] = field(default_factory=list)  # later approved verdicts that recalibrate it


@dataclass
class CycleStory:
    cycle: object  # AssessmentCycle, or None for assessments in no cycle
    reports: list[Reported]


@dataclass
class PledgeFollowThrough:
    today: Reported | None  # the newest approved assessment among the pledge's commitments
    cycles: list[CycleStory]
    latest: dict[int, Assessment]  # {commitment id: its newest approved assessment}, for the timeline's cards


def pledge_follow_through(commitments: Iterable[Commitment]) -> PledgeFollowThrough:
    """The approved assessments of a pledge's commitments, by cycle in time order, with their evidence; two
    queries whatever the pledge holds (the commitments are those its page read already)."""
    by_id = {commitment.pk: commitment for commitment in commitments}
    approved = Assessment.objects.approved().filter(commitment_id__in=list(by_id))
    rows = list(
        approved.select_related("cycle__from_meeting", "cycle__to_meeting", "supersedes")
        .defer("cycle__from_meeting__provenance_note", "cycle__to_meeting__provenance_note")
        .order_by("assessed_on", "pk")
    )
    # The evidence of the same assessments, read by a subquery: one query even for a pledge without any.
    # A quote of a draft statement waits for its meeting to be published (meetings.drafts): left out here.
    links = (
        AssessmentEvidence.objects.filter(assessment__in=approved)
        .filter(Q(evidence__statement__isnull=True) | published_through("evidence__statement"))
        .select_related("evidence__statement__meeting")
        .defer("evidence__statement__text", "evidence__statement__meeting__provenance_note")
        .order_by("evidence__slug")
    )
    reports = {row.pk: Reported(assessment=row, commitment=by_id[row.commitment_id]) for row in rows}
    for link in links:
        reports[link.assessment_id].evidence.append(link)
    latest: dict[int, Assessment] = {}
    for row in rows:  # oldest first: the newest of each commitment is the last one set
        latest[row.commitment_id] = row
        if row.supersedes_id in reports:
            reports[row.supersedes_id].superseded_by.append(row)
    cycles: dict[object, CycleStory] = {}
    for row in sorted(rows, key=_cycle_order):
        cycles.setdefault(row.cycle_id, CycleStory(cycle=row.cycle, reports=[])).reports.append(reports[row.pk])
    return PledgeFollowThrough(
        today=reports[rows[-1].pk] if rows else None, cycles=list(cycles.values()), latest=latest
    )


def pledge_verdict_today(entries) -> Reported | None:
    """A pledge's verdict today when its page shows only some of its commitments (a page of a long pledge):
    the newest approved assessment of any commitment of its `entries` (the pledge's readable entries, a
    QuerySet), with that commitment and where it was made. One query."""
    newest = (
        Assessment.objects.approved()
        .filter(commitment_id__in=entries.values("commitment_id"))
        .select_related("cycle", "commitment__statement__meeting")
        .defer("commitment__statement__text", "commitment__statement__meeting__provenance_note")
        .order_by("-assessed_on", "-pk")
        .first()
    )
    return None if newest is None else Reported(assessment=newest, commitment=newest.commitment)


def _cycle_order(assessment):
    """Cycles in time order (by their first meeting), assessments in no cycle last; by date within."""
    cycle = assessment.cycle
    if cycle is None:
        return (1, None, None, "", assessment.assessed_on, assessment.pk)
    first, last = cycle.window()
    return (0, first, last, cycle.slug, assessment.assessed_on, assessment.pk)


# -- the follow-through page --------------------------------------------------------------------------


@dataclass
class Part:
    """One part of a group's bar before it is placed: a verdict's commitments, or a score's members' scores."""

    fill: str  # its class: the stylesheet's colour, light and dark
    label: str
    symbol: str
    count: int


@dataclass
class Segment:
    """One part's share of a group's bar."""

    fill: str
    label: str
    symbol: str
    count: int
    x: float
    width: float
    symbol_x: float  # where its symbol is drawn, in the middle of the segment
    shows_symbol: bool  # wide enough for it


@dataclass
class SplitBar:
    label: str  # the group's short name
    y: float
    label_y: float
    segments: list[Segment]
    summary: str  # "71 % · 5 of 27 assessed"
    summary_x: float


@dataclass
class SplitChart(Sized):
    """A group per row, as a bar split into its parts (100 % = the group's total), its summary beside it."""

    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int
    bars: list[SplitBar]


def summary_of(group: VerdictCounts) -> str:
    """A group's bar in words: its percentage where scored, and how many of its commitments are assessed."""
    assessed = group.total - group.not_assessed
    said = f"{assessed:,} of {group.total:,} assessed"
    return f"{group.percentage:.0f} % · {said}" if group.percentage is not None else f"not scored · {said}"


def split_chart(rows: list[tuple[str, list[Part], str]]) -> SplitChart:
    """(label, parts, summary) rows as bars, each split into its parts in the order given, widths in
    proportion to the row's total; a part's symbol is drawn in it where it fits."""
    label_width, plot_width, summary_room = 330, 400, 230
    bars = []
    for index, (label, parts, summary) in enumerate(rows):
        y = HEADER + index * ROW + (ROW - BAR) / 2
        total = sum(part.count for part in parts)
        x, segments = float(label_width), []
        for part in parts:
            if not part.count:
                continue
            width = plot_width * part.count / total
            segments.append(
                Segment(
                    fill=part.fill,
                    label=part.label,
                    symbol=part.symbol,
                    count=part.count,
                    x=round(x, 1),
                    width=round(width, 1),
                    symbol_x=round(x + width / 2, 1),
                    shows_symbol=width >= 6 + 8 * len(part.symbol),
                )
            )
            x += width
        bars.append(
            SplitBar(
                label=label,
                y=y,
                label_y=y + BAR - 3,
                segments=segments,
                summary=summary,
                summary_x=label_width + plot_width + 8,
            )
        )
    return SplitChart(
        width=label_width + plot_width + summary_room,
        height=HEADER + ROW * len(rows) + 8,
        label_width=label_width,
        plot_width=plot_width,
        bar_height=BAR,
        bars=bars,
    )


def verdict_chart(groups: list[VerdictCounts]) -> SplitChart:
    """The groups' bars, each split into its verdicts in the scale's order."""
    return split_chart(
        [
            (
                group.short,
                [
                    Part(f"verdict-fill-{v.value}", v.label.lower(), VERDICT_SYMBOLS[v], group.count(v))
                    for v in VERDICT_ORDER
                ],
                summary_of(group),
            )
            for group in groups
        ]
    )


@dataclass
class Grouping:
    """One way of counting on the page (by line of effort, by meeting): its chart, its table's rows and links."""

    by: str
    title: str
    chart: SplitChart
    rows: list[tuple[VerdictCounts, str, object]]  # (group, its public page, its data link)
    total: VerdictCounts
    note: str = ""


@dataclass
class FollowThroughPage:
    groupings: list[Grouping]
    verdicts: list  # the scale, in the tables' column order
    by_member: MemberScores | None  # None as of a past date (not read from the history)


def follow_through_page(page_of: Callable[[str, str], str], data_of: Callable[[str, str], object]) -> FollowThroughPage:
    """The follow-through page's groupings, in five queries whatever the data: commitments by line of
    effort and verdict, the latest meetings, their commitments by meeting and verdict; members' scores,
    and how many assessments score no member (`by_member`).

    `page_of(by, key)` is a group's public page, `data_of(by, key)` its assessments in the API (a DataLink).
    """
    by_line = verdict_counts(Commitment.objects.published(), BY_LINE)
    latest = list(
        Meeting.objects.published().order_by("-start_date", "-slug").values_list("pk", flat=True)[: MEETINGS_SHOWN + 1]
    )
    shown = Commitment.objects.published().filter(statement__meeting_id__in=latest[:MEETINGS_SHOWN])
    by_meeting = verdict_counts(shown, BY_MEETING)
    return FollowThroughPage(
        groupings=groupings_of(by_line, by_meeting, len(latest) > MEETINGS_SHOWN, page_of, data_of),
        verdicts=VERDICT_ORDER,
        by_member=by_member(lambda slug: data_of(BY_MEMBER, slug)),
    )


def groupings_of(by_line, by_meeting, more_meetings, page_of, data_of) -> list[Grouping]:
    """The page's groupings from the groups counted by line and by meeting (the latest `MEETINGS_SHOWN`; whether
    there are `more_meetings`), each row with its page and its data (`data_of` None: no data link)."""
    note = f"The latest {MEETINGS_SHOWN} meetings; the data links give every meeting." if more_meetings else ""
    return [
        Grouping(
            by=by,
            title=title,
            chart=verdict_chart(groups),
            rows=[(group, page_of(by, group.key), data_of and data_of(by, group.key)) for group in groups],
            total=overall(groups),
            note=note if by == BY_MEETING else "",
        )
        for by, title, groups in (
            (BY_LINE, "line of effort", by_line),
            (BY_MEETING, "meeting", by_meeting),
        )
    ]


# -- scores by member -----------------------------------------------------------------------------------

# The G7/G20 Research Group's scores, in the order a member's bar gives them, with their class and words.
SCORE_PARTS = [
    (1, "plus_one", "+1", "full compliance"),
    (0, "zero", "0", "partial, work in progress"),
    (-1, "minus_one", "−1", "no compliance or contrary action"),
]


@dataclass
class MemberScores:
    """The follow-through page's section by member: each member's scores on collective pledges, and how
    many of the assessments counted score no member (said, never hidden)."""

    chart: SplitChart
    rows: list[tuple[dict, object]]  # (a member's scores counted, as `MemberScore.objects.percentages`; its data link)
    total: dict  # every member's scores together: the table's last row
    assessed: int  # the assessments counted: each commitment's newest approved one
    unscored: int  # of those, how many carry no per-member score
    scores: list = field(default_factory=lambda: SCORE_PARTS)


def member_summary(row: dict) -> str:
    return f"{row['percent']:.0f} % · scored on {row['scored']:,}"


def by_member(data_of: Callable[[str], object]) -> MemberScores:
    """Scores by member, in two queries whatever the data: the members' scores counted (one row per member)
    and how many counted assessments score no member. `data_of(slug)` is a member's assessments in the API."""
    members = MemberScore.objects.percentages("member")
    coverage = MemberScore.objects.coverage()
    chart = split_chart(
        [
            (
                row["name"],
                [Part(f"score-fill-{column}", words, symbol, row[column]) for _, column, symbol, words in SCORE_PARTS],
                member_summary(row),
            )
            for row in members
        ]
    )
    counts = {column: sum(row[column] for row in members) for _, column, _, _ in SCORE_PARTS}
    scored = sum(counts.values())
    average = sum(score * counts[column] for score, column, _, _ in SCORE_PARTS) / scored if scored else None
    return MemberScores(
        chart=chart,
        rows=[(row, data_of(row["slug"])) for row in members],
        total={**counts, "scored": scored, "percent": percent_of(average)},
        assessed=coverage["assessed"],
        unscored=coverage["unscored"],
    )
