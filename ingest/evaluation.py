"""How good the suggestions are: each curated statement hidden in turn and suggested for against the rest.

For each statement that has curated commitments, its own commitments are hidden from every query
(`StoredCorpus(exclude_statement=...)`: nothing is written or deleted), its text is suggested for
as if it were new, with its meeting's place in time (a pledge's "latest commitment" is the latest
before this statement in meeting order), and the suggestions are compared with what curators made
of it. How each figure is counted:

- A suggestion *matches* a curated commitment when their spans overlap by at least half of the
  shorter of the two (`spans_overlap`). A curated commitment's *match* is the matching suggestion
  with the largest overlap.
- span precision: matching suggestions / suggestions.
- span recall: curated commitments with a match / curated commitments.
- line of effort: curated commitments whose match names their line / curated commitments with a match.
- recurring pledge top-1 and top-3: over the curated commitments placed in at least one recurring
  pledge that has entries outside the hidden statement (the only pledges that can be found), the
  share whose match lists one of those pledges first (top-1) or among its three candidates
  (top-3). A curated commitment without a match counts as a miss.
- change kind: over those (commitment, pledge) placements whose pledge is among the match's
  candidates, the share where the candidate's change kind is the curated one.
- figures (for information): figure recall and precision by the same overlap rule.

Overall figures pool the counts of all statements (they are not averages of the per-statement
shares).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from commitments.models import ThreadEntry, spans_overlap
from meetings.models import Statement

from .corpus import StoredCorpus
from .figures import Place
from .ranking import SpanSuggestion, suggest

COUNTS = (
    "suggestions",
    "matched_suggestions",
    "curated",
    "found",
    "line_correct",
    "pledged",
    "top1",
    "top3",
    "change_kinds",
    "change_kind_correct",
    "figures",
    "matched_figures",
    "curated_figures",
    "found_figures",
)
RATIOS = {
    "precision": ("matched_suggestions", "suggestions"),
    "recall": ("found", "curated"),
    "line_of_effort": ("line_correct", "found"),
    "top1": ("top1", "pledged"),
    "top3": ("top3", "pledged"),
    "change_kind": ("change_kind_correct", "change_kinds"),
    "figure_precision": ("matched_figures", "figures"),
    "figure_recall": ("found_figures", "curated_figures"),
}


@dataclass
class Score:
    """Counts for one statement (or pooled), and the shares computed from them."""

    statement: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, other: Score) -> None:
        for key in COUNTS:
            self.counts[key] += other.counts[key]

    def ratio(self, name: str) -> float | None:
        numerator, denominator = RATIOS[name]
        if not self.counts[denominator]:
            return None
        return self.counts[numerator] / self.counts[denominator]

    def as_dict(self) -> dict[str, object]:
        return {
            "statement": self.statement,
            **{name: self.ratio(name) for name in RATIOS},
            "counts": dict(self.counts),
        }


def evaluate(statement_slugs: Collection[str] | None = None) -> tuple[list[Score], Score]:
    """Scores per statement with curated commitments (meeting order), then pooled over all of them."""
    statements = Statement.objects.filter(commitments__isnull=False).distinct().select_related("meeting")
    if statement_slugs:
        statements = statements.filter(slug__in=statement_slugs)
    scores = [score_statement(s) for s in statements.order_by("meeting__start_date", "position")]
    overall = Score("overall")
    for score in scores:
        overall.add(score)
    return scores, overall


def score_statement(statement: Statement) -> Score:
    """Hide the statement's commitments, suggest for its text and compare with what curators made of it."""
    corpus = StoredCorpus(before=(statement.meeting.start_date, statement.position), exclude_statement=statement.pk)
    result = suggest(statement.text, corpus=corpus)
    suggestions = result["suggestions"]
    curated = list(statement.commitments.values("id", "start", "end", "line_of_effort__slug"))
    findable = set(ThreadEntry.objects.exclude(commitment__statement=statement).values_list("thread__slug", flat=True))
    placements: dict[int, dict[str, str]] = {}  # {commitment id: {pledge slug: change kind}}
    for commitment_id, thread, kind in ThreadEntry.objects.filter(commitment__statement=statement).values_list(
        "commitment_id", "thread__slug", "change_kind"
    ):
        if thread in findable:
            placements.setdefault(commitment_id, {})[thread] = kind

    score = Score(statement.slug)
    counts = score.counts
    counts["suggestions"] = len(suggestions)
    counts["matched_suggestions"] = sum(
        any(spans_overlap(s["start"], s["end"], c["start"], c["end"]) for c in curated) for s in suggestions
    )
    counts["curated"] = len(curated)
    for commitment in curated:
        match = best_match(commitment, suggestions)
        pledges = placements.get(commitment["id"], {})
        counts["pledged"] += bool(pledges)
        if match is None:
            continue
        counts["found"] += 1
        counts["line_correct"] += match["line_of_effort"] == commitment["line_of_effort__slug"]
        offered = [c["thread"] for c in match["threads"]]
        if pledges:
            counts["top1"] += bool(offered) and offered[0] in pledges
            counts["top3"] += any(t in pledges for t in offered[:3])
        for candidate in match["threads"]:
            if candidate["thread"] in pledges:
                counts["change_kinds"] += 1
                counts["change_kind_correct"] += candidate["change_kind"] == pledges[candidate["thread"]]

    curated_figures = list(statement.figures.values("start", "end"))
    counts["figures"] = len(result["figures"])
    counts["matched_figures"] = sum(
        any(spans_overlap(f["start"], f["end"], c["start"], c["end"]) for c in curated_figures)
        for f in result["figures"]
    )
    counts["curated_figures"] = len(curated_figures)
    counts["found_figures"] = sum(
        any(spans_overlap(f["start"], f["end"], c["start"], c["end"]) for f in result["figures"])
        for c in curated_figures
    )
    return score


def best_match(commitment: Place, suggestions: Iterable[SpanSuggestion]) -> SpanSuggestion | None:
    """The suggestion overlapping a curated commitment the most, when it overlaps enough to count."""
    best: SpanSuggestion | None = None
    best_overlap = 0
    for suggestion in suggestions:
        if not spans_overlap(suggestion["start"], suggestion["end"], commitment["start"], commitment["end"]):
            continue
        overlap = min(suggestion["end"], commitment["end"]) - max(suggestion["start"], commitment["start"])
        if overlap > best_overlap:
            best, best_overlap = suggestion, overlap
    return best


def format_table(scores: Sequence[Score], overall: Score) -> str:
    """The scores as a plain-text table, one row per statement and one pooled row."""
    columns = [
        ("precision", "span precision"),
        ("recall", "span recall"),
        ("line_of_effort", "line of effort"),
        ("top1", "pledge top-1"),
        ("top3", "pledge top-3"),
        ("change_kind", "change kind"),
        ("figure_recall", "figure recall"),
    ]
    width = max(len(s.statement) for s in [*scores, overall])
    lines = [f"{'statement':<{width}}  " + "  ".join(f"{title:>16}" for _, title in columns)]
    for score in [*scores, overall]:
        cells = []
        for name, _ in columns:
            numerator, denominator = RATIOS[name]
            value = score.ratio(name)
            shown = "—" if value is None else f"{value:.2f}"
            cells.append(f"{shown} ({score.counts[numerator]}/{score.counts[denominator]})".rjust(16))
        lines.append(f"{score.statement:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)
