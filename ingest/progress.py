"""Progress sentences: what a statement reports became of earlier pledges, proposed as their evidence.

A sentence reports progress when it says, in the perfect, what has been done or achieved ("partners
have raised $20 billion", "more than 7.7 million people have been freed", "the flow of foreign
terrorist fighters has declined significantly", "the Coalition has made progress in tackling…",
"important measures have already been decided") or names the progress made. Such sentences carry no
commitment cue (`ingest.cues` leaves the perfect out); here they become evidence suggestions. Which
earlier commitment each one reports on is found by the same ranking as a commitment's pledge
(`ingest.ranking`): the pledge the sentence matches best, and in it the most similar commitment of an
earlier meeting (else the pledge's latest commitment before the statement). Pure, deterministic.
"""

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .corpus import CommitmentRow, ThreadRow
from .figures import Place
from .segments import segments

# Participles that say something was done or achieved, after has/have/had (perhaps "been").
_DONE = (
    "raised|freed|liberated|declined|decreased|reduced|fallen|dropped|trained|returned|disbursed|provided|"
    "contributed|delivered|achieved|taken|committed|decided|agreed|adopted|implemented|established|launched|"
    "dismantled|degraded|defeated|cleared|removed|repatriated|recaptured|retaken|lost|helped|enabled|"
    "mobilized|mobilised|deployed|strengthened|increased|expanded|completed|had|grown|rehabilitated|restored|"
    "pushed|advanced|collapsed|resulted|disrupted|continued|cut|constrained|isolated|exposed|seized|arrested|"
    "prosecuted|designated|sanctioned|captured|killed|eliminated|destroyed|prevented|thwarted|denied|curtailed|"
    r"diminished|severed|halted|dwindled|shrunk|shrunken|made\s+(?:\w+\s+)?advances"
)
_PROGRESS = re.compile(
    rf"\b(?:has|have|had)\s+(?:\w+ly\s+|already\s+|now\s+|also\s+|together\s+|collectively\s+|likewise\s+)?"
    r"(?:been\s+)?"
    rf"(?:\w+ly\s+)?(?P<verb>{_DONE})\b"
    r"|\b(?:made|achieved|significant|considerable|substantial|tangible|important)\s+(?:\w+\s+)?(?P<noun>progress)\b"
    r"|\bprogress\s+(?:made|achieved)\b|\bpresented\s+the\s+results\b"
    # What an enemy has lost: "no longer controls territory".
    r"|\bno\s+longer\s+(?:controls?|holds?|occupies|occupy)\b",
    re.IGNORECASE,
)
# Below this a pledge is too unlike the sentence to be proposed as what it reports on.
MIN_EVIDENCE_SCORE = 0.1
REASON_WORDS = 6


@dataclass(frozen=True)
class ProgressSpan:
    start: int
    end: int
    cue: str


class EvidenceSuggestion(Place):
    """A progress sentence proposed as evidence, as the dry run's JSON gives it."""

    quote: str
    cue: str
    commitment: str | None  # the slug of the earlier commitment it reports on, or None when none fits
    thread: str | None  # the recurring pledge that commitment is in
    score: float
    reason: str


def progress_spans(text: str) -> list[ProgressSpan]:
    """The sentences (or list items) of the text that report progress, in text order."""
    found = []
    for segment in segments(text):
        match = _PROGRESS.search(text, segment.start, segment.end)
        if match is not None:
            found.append(ProgressSpan(segment.start, segment.end, " ".join(match.group().split()).lower()))
    return found


def proposed_commitment(
    scored: Iterable[tuple[float, CommitmentRow]],
    pledge: ThreadRow | None,
    pledge_score: float,
    before: datetime.date | None,
) -> tuple[str | None, str | None, float]:
    """(commitment slug, its quote, similarity) the sentence reports on, in the pledge it matches best.

    The pledge's most similar commitment among those found that was made at an earlier meeting than
    `before` (any, without a date), else the pledge's latest commitment before the statement's meeting.
    """
    if pledge is None or pledge_score < MIN_EVIDENCE_SCORE:
        return None, None, 0.0
    for similarity, row in scored:
        made = row.get("statement__meeting__start_date")
        if pledge["id"] in row["threads"] and (before is None or (made is not None and made < before)):
            return row["slug"], row["quote"] + " " + row["summary"], similarity
    return pledge.get("earlier_slug"), pledge.get("earlier_quote"), pledge_score


def reason(
    words: Sequence[str],
    shared: set[str],
    stem: Callable[[str], str],
    weight: Callable[[str], float],
    commitment: str,
    thread: str,
) -> str:
    """Why: the sentence's words that the proposed commitment shares, rarest first."""
    matched: dict[str, str] = {}
    for word in words:
        if stem(word) in shared:
            matched.setdefault(stem(word), word)
    ranked = sorted(matched, key=lambda s: (-weight(s), s))[:REASON_WORDS]
    listed = ", ".join(f"“{matched[s]}”" for s in ranked) or "no words (the pledge's latest commitment)"
    return f"Reports on {commitment} (pledge {thread}): shares {listed}."[:300]
