"""The evaluation's sets side by side: the seed's leave-one-out, and the corpus's splits.

The splits are `dev/` and `test/` (other bodies), `coalition-dev/` and `coalition-test/` (the Coalition's own
later statements, split by date before any tuning: every third to test) and `holdout/`.

`evaluate_ingest --splits` prints, for each set, span recall and precision, pledge top-1 of the
commitments that continue a stored pledge, participants precision and recall (quote and role) and
progress recall (annotated progress sentences found as evidence), each with its counts. The seed's
column is the leave-one-out (`ingest.evaluation.evaluate`), with its participants scored against the
participation records curators quoted from each seed statement (a co-chair suggestion counts as the
`host` it is recorded as); the seed annotates no progress sentence. A corpus split is
`evaluation.evaluate_corpus` on `<dir>/<split>/`; a split whose folder is absent or holds no statement
says so in its column. `coalition-test/`, `test/` and `holdout/` are measured, never tuned on
(fixtures/ingest-eval/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from meetings.models import Statement

from .evaluation import (
    AnnotatedParticipant,
    CorpusError,
    CorpusScore,
    evaluate,
    evaluate_corpus,
    load_corpus,
    match_participants,
    unknown_pledges,
)
from .participants import participations
from .suggested_facts import RECORDED_ROLE

SPLITS = ("dev", "test", "coalition-dev", "coalition-test", "holdout")
ROWS = (
    ("recall", "span recall"),
    ("precision", "span precision"),
    ("top1", "pledge top-1"),
    ("participants_precision", "participants P"),
    ("participants", "participants R"),
    ("progress_as_evidence", "progress recall"),
)
# The leave-one-out's counts that mean the same in a corpus score.
SHARED_COUNTS = ("suggestions", "matched_suggestions", "curated", "found", "pledged", "top1", "top3")


@dataclass
class Column:
    name: str
    score: CorpusScore | None  # None: nothing to measure (`note` says why)
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "note": self.note, "overall": self.score.as_dict() if self.score else None}


def seed_column() -> Column:
    """The seed's leave-one-out, and its participants against the curated participation records."""
    _, overall = evaluate()
    score = CorpusScore("seed leave-one-out")
    for key in SHARED_COUNTS:
        score.counts[key] = overall.counts[key]
    for statement in Statement.objects.filter(commitments__isnull=False).distinct().order_by("pk"):
        recorded = [
            AnnotatedParticipant(start, end, quote, member=name, role=role)
            for start, end, quote, name, role in statement.participations.exclude(start=None).values_list(
                "start", "end", "quote", "member__name", "role"
            )
            if start is not None and end is not None
        ]
        suggested = [dict(p, role=RECORDED_ROLE[p["role"]]) for p in participations(statement.text)]
        score.counts["participants"] += len(recorded)
        score.counts["participations"] += len(suggested)
        score.counts["participants_found"] += len(match_participants(recorded, suggested))
        score.counts["participations_matched"] += sum(
            any(match_participants([r], [s]) for r in recorded) for s in suggested
        )
    return Column("seed leave-one-out", score, "no progress sentence is annotated in the seed")


def split_column(directory: Path, name: str) -> Column:
    """One corpus split measured, or why it cannot be (absent, empty)."""
    if not directory.is_dir():
        return Column(name, None, f"{directory} is absent")
    if not any(directory.glob("*.txt")):
        return Column(name, None, f"{directory} holds no statement")
    corpus = load_corpus(directory)
    unknown = unknown_pledges(corpus)
    if unknown:
        named = "; ".join(f"{slug}: {', '.join(pledges)}" for slug, pledges in unknown.items())
        raise CorpusError(f"'continues' names pledges that are not stored (load the seed first?): {named}.")
    return Column(name, evaluate_corpus(corpus).overall)


def columns(base: Path) -> list[Column]:
    """The seed's leave-one-out, then each split of `base` (fixtures/ingest-eval)."""
    return [seed_column(), *(split_column(base / split, split) for split in SPLITS)]


def format_splits(measured: list[Column]) -> str:
    """The sets side by side, a row per measure; then what a column could not measure."""
    first = max(len(title) for _, title in ROWS)
    cells = {}
    for column in measured:
        for key, _ in ROWS:
            score = column.score
            if score is None:
                cells[column.name, key] = "—"
                continue
            numerator, denominator = score.RATIOS[key]
            value = score.ratio(key)
            shown = "—" if value is None else f"{value:.2f}"
            cells[column.name, key] = f"{shown} ({score.counts[numerator]}/{score.counts[denominator]})"
    width = max(len(c) for c in [*cells.values(), *(column.name for column in measured)])
    lines = [f"{'measure':<{first}}  " + "  ".join(f"{column.name:>{width}}" for column in measured)]
    for key, title in ROWS:
        lines.append(f"{title:<{first}}  " + "  ".join(f"{cells[c.name, key]:>{width}}" for c in measured))
    lines.append("")
    lines.append(
        "pledge top-1: of the commitments that continue a stored pledge (a missed one counts as wrong); "
        "participants: quote and role; progress recall: progress sentences found as evidence."
    )
    lines += [f"{column.name}: {column.note}." for column in measured if column.note]
    return "\n".join(lines)
