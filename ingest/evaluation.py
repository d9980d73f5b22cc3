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

`evaluate_corpus` measures the same way on statements the cues were not written from: an annotated
corpus directory (fixtures/ingest-eval/, loaded by `load_corpus`); its figures are described below.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import yaml

from commitments.models import Thread, ThreadEntry
from core.spans import spans_overlap
from meetings.models import Statement

from .corpus import StoredCorpus
from .figures import Place
from .participants import canonical
from .ranking import SpanSuggestion, suggest
from .services import suggestions_for_text

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
    """Counts for one statement (or pooled), and the shares computed from them.

    `COUNTS` names the counts and `RATIOS` each share as (numerator, denominator); a kind of
    evaluation says its own (`CorpusScore`).
    """

    COUNTS: ClassVar[tuple[str, ...]] = COUNTS
    RATIOS: ClassVar[dict[str, tuple[str, str]]] = RATIOS

    statement: str
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {key: self.counts.get(key, 0) for key in self.COUNTS}

    def add(self, other: Score) -> None:
        for key in self.COUNTS:
            self.counts[key] += other.counts[key]

    def ratio(self, name: str) -> float | None:
        numerator, denominator = self.RATIOS[name]
        if not self.counts[denominator]:
            return None
        return self.counts[numerator] / self.counts[denominator]

    def as_dict(self) -> dict[str, object]:
        return {
            "statement": self.statement,
            **{name: self.ratio(name) for name in self.RATIOS},
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


# --- statements it has not seen: an annotated corpus (fixtures/ingest-eval/) ---------------------------
#
# Each <slug>.txt of a corpus directory is suggested for as `manage.py ingest FILE --dry-run --json` does
# (`ingest.services.suggestions_for_text`, against everything stored) and compared with its <slug>.yaml
# (the format: fixtures/ingest-eval/README.md). The same overlap rule as above (`spans_overlap`):
#
# - span precision: suggestions overlapping an annotated commitment / suggestions.
# - span recall: annotated commitments with a match / annotated commitments; and the same per voice
#   (first-person, third-person, numbered-pillar).
# - pledge top-1 and top-3: over the annotated commitments whose `continues` names at least one stored
#   recurring pledge, the share whose match lists one of them first (top-1) or among its first three
#   (top-3). A commitment without a match counts as a miss.
# - participants R(ecall): annotated participants paired one to one with a participation suggestion of the
#   same role overlapping their quote (`match_participants`); P(recision): suggestions that fit one / all.
# - progress suggested as commitments: annotated progress sentences overlapped by a commitment suggestion.
# - progress found as evidence: annotated progress sentences overlapped by an evidence suggestion (the dry
#   run's `evidence`, when it has them).

VOICES = ("first-person", "third-person", "numbered-pillar")
STRENGTHS = ("binding", "soft")
ROLES = ("host", "co-chair", "new-member", "observer", "member")
KINDS = ("communique", "readout", "chairs-summary", "action-plan", "statement", "press-release", "resolution")
EXTENTS = ("whole", "opening")
SOURCE_KEYS = ("url", "title", "publisher", "published", "kind", "extent")
TOP_KEYS = ("source", "commitments", "progress", "participants")
COMMITMENT_KEYS = ("quote", "strength", "voice", "actor")
PARTICIPANT_KEYS = ("quote", "member", "role")


class CorpusError(ValueError):
    """An annotation that cannot be measured against: the message names the file and what is wrong."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class AnnotatedCommitment(Span):
    strength: str
    voice: str
    actor: str
    continues: tuple[str, ...]


@dataclass(frozen=True)
class AnnotatedParticipant(Span):
    member: str
    role: str


@dataclass(frozen=True)
class AnnotatedText:
    """One statement of the corpus: its text exactly as stored and what an analyst marked in it."""

    slug: str
    text: str
    source: dict[str, object]
    commitments: tuple[AnnotatedCommitment, ...]
    progress: tuple[Span, ...]
    participants: tuple[AnnotatedParticipant, ...]


def load_corpus(directory: Path) -> list[AnnotatedText]:
    """Every <slug>.txt of the directory with its <slug>.yaml, in slug order; `CorpusError` on the first fault."""
    if not directory.is_dir():
        raise CorpusError(f"{directory}: not a directory.")
    texts = {path.stem for path in directory.glob("*.txt")}
    annotations = {path.stem for path in directory.glob("*.yaml")}
    for slug in sorted(texts ^ annotations):
        missing = "yaml" if slug in texts else "txt"
        raise CorpusError(f"{directory / slug}.{missing}: missing (every .txt needs its .yaml and the reverse).")
    if not texts:
        raise CorpusError(f"{directory}: no annotated statements (<slug>.txt with <slug>.yaml).")
    return [load_annotated(directory / f"{slug}.txt") for slug in sorted(texts)]


def load_annotated(text_path: Path) -> AnnotatedText:
    """A statement's text and its annotation, every quote placed; `CorpusError` naming the file otherwise."""
    annotation_path = text_path.with_suffix(".yaml")
    try:
        text = text_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(f"{text_path}: not UTF-8 ({error}).") from None
    if "\r" in text:
        raise CorpusError(f"{text_path}: line endings must be LF.")
    try:
        data = yaml.safe_load(annotation_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CorpusError(f"{annotation_path}: not valid YAML ({error}).") from None

    def fail(message: str) -> NoReturn:
        raise CorpusError(f"{annotation_path}: {message}")

    if not isinstance(data, dict):
        fail("not a mapping.")
    for key in TOP_KEYS:
        if key not in data:
            fail(f"missing key {key!r}.")
    source = data["source"]
    if not isinstance(source, dict):
        fail("'source' is not a mapping.")
    for key in SOURCE_KEYS:
        if key not in source:
            fail(f"source: missing key {key!r}.")
    if source["kind"] not in KINDS:
        fail(f"source: kind {source['kind']!r} is not one of {', '.join(KINDS)}.")
    if source["extent"] not in EXTENTS:
        fail(f"source: extent {source['extent']!r} is not one of {', '.join(EXTENTS)}.")
    if source["published"] is not None and not isinstance(source["published"], date):
        fail(f"source: published {source['published']!r} is not a date (YYYY-MM-DD) or null.")

    def items(section: str, keys: Sequence[str]) -> list[dict[str, Any]]:
        listed = data[section] or []
        if not isinstance(listed, list):
            fail(f"{section!r} is not a list.")
        for number, item in enumerate(listed, 1):
            if not isinstance(item, dict):
                fail(f"{section} #{number}: not a mapping.")
            for key in keys:
                if key not in item:
                    fail(f"{section} #{number}: missing key {key!r}.")
        return listed

    def place(section: str, number: int, quote: object) -> tuple[int, int, str]:
        if not isinstance(quote, str) or not quote.strip():
            fail(f"{section} #{number}: the quote is empty or not a string.")
        found = text.count(quote)
        if found != 1:
            fail(f"{section} #{number}: the quote occurs {found} times in {text_path.name}, not once: {quote[:80]!r}")
        start = text.index(quote)
        return start, start + len(quote), quote

    commitments = []
    for number, item in enumerate(items("commitments", COMMITMENT_KEYS), 1):
        if item["strength"] not in STRENGTHS:
            fail(f"commitments #{number}: strength {item['strength']!r} is not one of {', '.join(STRENGTHS)}.")
        if item["voice"] not in VOICES:
            fail(f"commitments #{number}: voice {item['voice']!r} is not one of {', '.join(VOICES)}.")
        continues = item.get("continues") or []
        if not isinstance(continues, list) or not all(isinstance(slug, str) for slug in continues):
            fail(f"commitments #{number}: 'continues' is not a list of pledge slugs.")
        commitments.append(
            AnnotatedCommitment(
                *place("commitments", number, item["quote"]),
                strength=item["strength"],
                voice=item["voice"],
                actor=str(item["actor"]),
                continues=tuple(continues),
            )
        )
    progress = [Span(*place("progress", n, item["quote"])) for n, item in enumerate(items("progress", ("quote",)), 1)]
    participants = []
    for number, item in enumerate(items("participants", PARTICIPANT_KEYS), 1):
        if item["role"] not in ROLES:
            fail(f"participants #{number}: role {item['role']!r} is not one of {', '.join(ROLES)}.")
        participants.append(
            AnnotatedParticipant(
                *place("participants", number, item["quote"]), member=str(item["member"]), role=item["role"]
            )
        )
    return AnnotatedText(
        slug=text_path.stem,
        text=text,
        source=dict(source),
        commitments=tuple(commitments),
        progress=tuple(progress),
        participants=tuple(participants),
    )


def _voice_key(voice: str) -> str:
    return voice.replace("-", "_")


CORPUS_COUNTS = (
    "suggestions",
    "matched_suggestions",
    "curated",
    "found",
    *(f"{prefix}_{_voice_key(voice)}" for voice in VOICES for prefix in ("curated", "found")),
    "pledged",
    "top1",
    "top3",
    "participants",
    "participants_found",
    "participations",
    "participations_matched",
    "progress",
    "progress_as_commitments",
    "progress_as_evidence",
)
CORPUS_RATIOS = {
    "precision": ("matched_suggestions", "suggestions"),
    "recall": ("found", "curated"),
    **{f"recall_{_voice_key(v)}": (f"found_{_voice_key(v)}", f"curated_{_voice_key(v)}") for v in VOICES},
    "top1": ("top1", "pledged"),
    "top3": ("top3", "pledged"),
    "participants": ("participants_found", "participants"),
    "participants_precision": ("participations_matched", "participations"),
    "progress_as_commitments": ("progress_as_commitments", "progress"),
    "progress_as_evidence": ("progress_as_evidence", "progress"),
}


@dataclass
class CorpusScore(Score):
    """Counts for one annotated statement (or pooled), and the shares computed from them."""

    COUNTS: ClassVar[tuple[str, ...]] = CORPUS_COUNTS
    RATIOS: ClassVar[dict[str, tuple[str, str]]] = CORPUS_RATIOS


@dataclass
class CorpusReport:
    scores: list[CorpusScore]
    overall: CorpusScore
    # Whether the dry run has a `participations` (and an `evidence`) list at all: when not, the
    # participants (and progress) found are 0 because nothing is suggested, not because it missed.
    suggests_participations: bool
    suggests_evidence: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "statements": [s.as_dict() for s in self.scores],
            "overall": self.overall.as_dict(),
            "suggests_participations": self.suggests_participations,
            "suggests_evidence": self.suggests_evidence,
        }


def unknown_pledges(corpus: Iterable[AnnotatedText]) -> dict[str, list[str]]:
    """{statement slug: pledge slugs its `continues` names that are not stored}, for those that name any."""
    stored = set(Thread.objects.values_list("slug", flat=True))
    unknown: dict[str, list[str]] = {}
    for annotated in corpus:
        named = sorted({slug for c in annotated.commitments for slug in c.continues} - stored)
        if named:
            unknown[annotated.slug] = named
    return unknown


def evaluate_corpus(corpus: Sequence[AnnotatedText]) -> CorpusReport:
    """Each annotated statement suggested for as the dry run does, scored, then pooled (counts summed)."""
    scores = []
    participations = evidence = False
    for annotated in corpus:
        result: Mapping[str, Any] = suggestions_for_text(annotated.text)
        participations = participations or "participations" in result
        evidence = evidence or "evidence" in result
        scores.append(score_annotated(annotated, result))
    overall = CorpusScore("overall")
    for score in scores:
        overall.add(score)
    return CorpusReport(scores, overall, participations, evidence)


def _overlaps(span: Span, places: Iterable[Mapping[str, Any]]) -> bool:
    return any(spans_overlap(p["start"], p["end"], span.start, span.end) for p in places)


def _same_participation(annotated: AnnotatedParticipant, suggested: Mapping[str, Any]) -> bool:
    """The same role, quotes overlapping (the span rule)."""
    return suggested.get("role") == annotated.role and spans_overlap(
        suggested["start"], suggested["end"], annotated.start, annotated.end
    )


def match_participants(
    annotated: Sequence[AnnotatedParticipant], suggested: Sequence[Mapping[str, Any]]
) -> list[tuple[AnnotatedParticipant, Mapping[str, Any]]]:
    """Annotated participants paired one to one with a suggestion of the same role whose quote overlaps
    theirs (two members sharing a quote need two suggestions); a suggestion naming the same member is
    preferred (`ingest.participants.canonical`)."""
    used: set[int] = set()
    paired: dict[int, int] = {}  # {annotated index: suggestion index}
    for same_member in (True, False):  # first those naming the same member, then any of the same role
        for number, participant in enumerate(annotated):
            if number in paired:
                continue
            for index, item in enumerate(suggested):
                if index in used or not _same_participation(participant, item):
                    continue
                if same_member and canonical(str(item.get("member", ""))) != canonical(participant.member):
                    continue
                paired[number] = index
                used.add(index)
                break
    return [(annotated[n], suggested[paired[n]]) for n in sorted(paired)]


def score_annotated(annotated: AnnotatedText, result: Mapping[str, Any]) -> CorpusScore:
    """Compare one dry run's result with the statement's annotation."""
    suggestions: list[SpanSuggestion] = result["suggestions"]
    score = CorpusScore(annotated.slug)
    counts = score.counts
    counts["suggestions"] = len(suggestions)
    counts["matched_suggestions"] = sum(
        any(spans_overlap(s["start"], s["end"], c.start, c.end) for c in annotated.commitments) for s in suggestions
    )
    counts["curated"] = len(annotated.commitments)
    for commitment in annotated.commitments:
        voice = _voice_key(commitment.voice)
        counts[f"curated_{voice}"] += 1
        match = best_match({"start": commitment.start, "end": commitment.end}, suggestions)
        counts["pledged"] += bool(commitment.continues)
        if match is None:
            continue
        counts["found"] += 1
        counts[f"found_{voice}"] += 1
        if commitment.continues:
            offered = [c["thread"] for c in match["threads"]]
            counts["top1"] += bool(offered) and offered[0] in commitment.continues
            counts["top3"] += any(t in commitment.continues for t in offered[:3])
    counts["participants"] = len(annotated.participants)
    suggested = result.get("participations") or []
    pairs = match_participants(annotated.participants, suggested)
    counts["participants_found"] = len(pairs)
    counts["participations"] = len(suggested)
    counts["participations_matched"] = sum(
        any(_same_participation(p, s) for p in annotated.participants) for s in suggested
    )
    counts["progress"] = len(annotated.progress)
    counts["progress_as_commitments"] = sum(_overlaps(p, suggestions) for p in annotated.progress)
    counts["progress_as_evidence"] = sum(_overlaps(p, result.get("evidence") or []) for p in annotated.progress)
    return score


CORPUS_COLUMNS = (
    ("precision", "span precision"),
    ("recall", "span recall"),
    ("recall_first_person", "first-person"),
    ("recall_third_person", "third-person"),
    ("recall_numbered_pillar", "numbered-pillar"),
    ("top1", "pledge top-1"),
    ("top3", "pledge top-3"),
    ("participants_precision", "participants P"),
    ("participants", "participants R"),
    ("progress_as_evidence", "progress recall"),
    ("progress_as_commitments", "progress as commit."),
)


def format_corpus_table(report: CorpusReport) -> str:
    """The corpus scores as a plain-text table, one row per statement and one pooled row, then what is not suggested."""
    rows = [*report.scores, report.overall]
    width = max(len(s.statement) for s in rows)
    cell = max(len(title) for _, title in CORPUS_COLUMNS)
    lines = [f"{'statement':<{width}}  " + "  ".join(f"{title:>{cell}}" for _, title in CORPUS_COLUMNS)]
    for score in rows:
        cells = []
        for name, _ in CORPUS_COLUMNS:
            numerator, denominator = CORPUS_RATIOS[name]
            value = score.ratio(name)
            shown = "—" if value is None else f"{value:.2f}"
            cells.append(f"{shown} ({score.counts[numerator]}/{score.counts[denominator]})".rjust(cell))
        lines.append(f"{score.statement:<{width}}  " + "  ".join(cells))
    lines.append("")
    lines.append("recall by voice: annotated commitments of that voice found / annotated commitments of that voice.")
    lines.append(
        "progress as commit.: progress sentences suggested as commitments / progress sentences (lower is better)."
    )
    counts = report.overall.counts
    if not report.suggests_participations:
        lines.append(
            f"participants: the dry run suggests no participation; {counts['participants_found']} of "
            f"{counts['participants']} annotated participants found."
        )
    if not report.suggests_evidence:
        lines.append(
            f"evidence: the dry run suggests no evidence; {counts['progress_as_evidence']} of "
            f"{counts['progress']} progress sentences found as evidence."
        )
    else:
        lines.append(
            f"evidence: {counts['progress_as_evidence']} of {counts['progress']} progress sentences found as evidence."
        )
    if not counts["pledged"]:
        lines.append("pledge top-1/top-3: no annotated commitment continues a stored pledge (`continues`).")
    return "\n".join(lines)
