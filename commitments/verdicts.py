"""Verdicts counted: what became of the commitments, by line of effort or by meeting, for readers and dashboards.

Each commitment counts once, by the verdict of its newest *approved* assessment (drafts wait for
review and are never counted). A commitment with no approved assessment, or whose newest one says
"not yet assessed", counts as not assessed: it is shown, never left out, and never read as inaction.

Where verdicts are scored (+1, 0, -1; "no evidence available" and "not yet assessed" are not scored,
never counted as -1), the group's average score is also given as the G7/G20 Research Group gives it,
a percentage: `(average + 1) / 2 × 100`, so that -1 is 0 %, 0 is 50 % and +1 is 100 %. The Research
Group scores each member on each priority commitment "on a scale from -1 to +1, where +1 indicates
full compliance with the stated commitment, -1 indicates a failure to comply or action taken that is
directly opposite to the stated goal of the commitment, and 0 indicates partial compliance" (2010 G20
Toronto Summit Final Compliance Report, g20.utoronto.ca/analysis/2010toronto-compliance.html), and
reports averages as percentages (e.g. "G20 members' compliance with these IFI reform commitments
averaged 66%", g20.utoronto.ca/analysis/170105-ifi-reform-research.html), translating the -1..+1
average to 0..100 % as its reference manual's section "Translated G8 and G20 Research Group Scores
into a Percentage" describes (G8/G20 Reference Manual for Commitment and Compliance Coding).

One query per grouping whatever the number of commitments: the database groups the commitments by
line (or meeting) and by the verdict of their newest approved assessment (a correlated subquery on
the assessments' (commitment, assessed_on) index), and Python only adds up a handful of rows per group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .assessments import Assessment
from .choices import VERDICT_SCORES, Verdict

# The groupings the aggregate knows: the commitment's own line of effort, or the meeting it was made at.
BY_LINE, BY_MEETING = "line", "meeting"
GROUPINGS = (BY_LINE, BY_MEETING)
# By member, the aggregate counts the members' own scores on collective pledges instead
# (`assessment_parts.MemberScoreQuerySet.percentages`): a commitment has one verdict, but each of its
# members a score of its own.
BY_MEMBER = "member"
AGGREGATE_GROUPINGS = (*GROUPINGS, BY_MEMBER)

# What each grouping reads of a commitment: (key, name, order, place) columns; a meeting's short name
# is its place and year ("Paris 2019"), a line's its name.
GROUP_COLUMNS = {
    BY_LINE: ("line_of_effort__slug", "line_of_effort__name", "line_of_effort__position", "line_of_effort__name"),
    BY_MEETING: (
        "statement__meeting__slug",
        "statement__meeting__name",
        "statement__meeting__start_date",
        "statement__meeting__city",
    ),
}

# What each verdict means to a reader (the scale of fixtures/curation/follow-through.yaml, said short).
VERDICT_MEANINGS = {
    Verdict.KEPT: "a later source reports the pledge carried out (score +1)",
    Verdict.COMPROMISE: "carried out in part, in a lesser form, elsewhere or later than promised (score 0)",
    Verdict.IN_THE_WORKS: "under way and not finished (score 0)",
    Verdict.STALLED: "begun but not moving, or blocked (score −1)",
    Verdict.BROKEN: "not carried out, given up or acted against (score −1)",
    Verdict.NOT_STARTED: "a source shows nothing has been done yet (score −1)",
    Verdict.NO_EVIDENCE: "a later source takes the pledge up but says nothing of whether it was done (not scored)",
    Verdict.NOT_ASSESSED: "no approved assessment yet: this says nothing about whether the pledge is acted on",
}

# The verdicts in the order tables and charts give them: found ones, then the unscored ones.
VERDICT_ORDER = [
    Verdict.KEPT,
    Verdict.COMPROMISE,
    Verdict.IN_THE_WORKS,
    Verdict.STALLED,
    Verdict.BROKEN,
    Verdict.NOT_STARTED,
    Verdict.NO_EVIDENCE,
    Verdict.NOT_ASSESSED,
]


def percentage(average: float | None) -> float | None:
    """An average score on -1..+1 as the G7/G20 Research Group's percentage (0..100), None where nothing is scored."""
    return None if average is None else (average + 1) / 2 * 100


@dataclass
class VerdictCounts:
    """One group's commitments counted by the verdict of their newest approved assessment."""

    key: str  # the line's or the meeting's slug
    name: str
    order: object  # the line's position or the meeting's first day
    counts: dict[str, int] = field(default_factory=dict)  # verdict value -> commitments
    short: str = ""  # for narrow places (a chart's labels): a line's name, a meeting's place and year

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def not_assessed(self) -> int:
        return self.counts.get(Verdict.NOT_ASSESSED, 0)

    def _scored(self) -> list[tuple[int, int]]:
        """(score, commitments) for each scored verdict the group holds."""
        scores = ((VERDICT_SCORES.get(verdict), n) for verdict, n in self.counts.items())
        return [(score, n) for score, n in scores if score is not None]

    @property
    def scored(self) -> int:
        """Commitments whose verdict has a score."""
        return sum(n for _, n in self._scored())

    @property
    def average_score(self) -> float | None:
        scored = self._scored()
        total = sum(n for _, n in scored)
        return sum(score * n for score, n in scored) / total if total else None

    @property
    def percentage(self) -> float | None:
        return percentage(self.average_score)

    def count(self, verdict: str) -> int:
        return self.counts.get(verdict, 0)

    def as_row(self) -> dict:
        """The group as the API's aggregate gives it: flat, one column per verdict."""
        average, share = self.average_score, self.percentage
        return {
            "key": self.key,
            "name": self.name,
            "total": self.total,
            **{verdict.value.replace("-", "_"): self.count(verdict) for verdict in VERDICT_ORDER},
            "scored": self.scored,
            "average_score": None if average is None else round(average, 3),
            "percentage": None if share is None else round(share, 1),
        }


def newest_verdict(commitment: str = "pk") -> Coalesce:
    """The verdict of the newest approved assessment of the commitment `commitment` names in the outer
    query (its primary key, or a relation to it), else "not yet assessed": an expression to annotate."""
    newest = Assessment.objects.newest_first_of(commitment)
    return Coalesce(Subquery(newest.values("verdict")[:1]), Value(Verdict.NOT_ASSESSED.value))


def with_verdict(commitments: QuerySet) -> QuerySet:
    """Annotate each commitment with `verdict`: its newest approved assessment's, else "not yet assessed"."""
    return commitments.annotate(verdict=newest_verdict())


def verdict_counts(commitments: QuerySet, by: str) -> list[VerdictCounts]:
    """The commitments counted by verdict per line of effort (`by="line"`) or per meeting (`"meeting"`),
    in the lines' or the meetings' order; one query.

    `commitments` is a Commitment queryset (all of them, or those a page shows)."""
    columns = GROUP_COLUMNS[by]
    key, _, order, _ = columns
    rows = (
        with_verdict(commitments.order_by())
        .values(*dict.fromkeys(columns), "verdict")
        .annotate(n=Count("pk"))
        .order_by(order, key)
    )
    return grouped(rows, by)


def grouped(rows: Iterable[dict], by: str) -> list[VerdictCounts]:
    """(group, verdict, n) rows, in the groups' order, as one VerdictCounts per group."""
    key, name, order, place = GROUP_COLUMNS[by]
    groups: dict[str, VerdictCounts] = {}
    for row in rows:
        group = groups.get(row[key])
        if group is None:
            short = f"{row[place]} {row[order].year}" if by == BY_MEETING else row[name]
            group = groups[row[key]] = VerdictCounts(key=row[key], name=row[name], order=row[order], short=short)
        group.counts[row["verdict"]] = group.counts.get(row["verdict"], 0) + row["n"]
    return list(groups.values())


def overall(groups: Iterable[VerdictCounts]) -> VerdictCounts:
    """Every group's commitments together: the totals row of a table."""
    total = VerdictCounts(key="", name="All", order=None)
    for group in groups:
        for verdict, n in group.counts.items():
            total.counts[verdict] = total.counts.get(verdict, 0) + n
    return total
