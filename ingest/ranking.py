"""The first pass over a new statement: what it commits to, filed where, continuing which pledge.

Pure text work plus one `corpus` argument that answers questions about what is stored (see
`ingest.corpus.StoredCorpus`): segmenting the verbatim text into candidate spans, the cue
words that make a span a commitment and its strength, the figures it cites, and, through the
corpus, the line of effort and the recurring pledges each span may continue, with the change kind
against each pledge's latest commitment. Everything returned is plain data (dicts, lists, str,
int, float), and every offset is a Python string offset into the text exactly as given, so that
`text[start:end] == quote` always holds.
"""

import functools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TypedDict

import snowballstemmer

from commitments.models import suggest_change_kind
from core.words import words_of

from .concepts import concept_keys
from .corpus import CommitmentRow, StoredCorpus, ThreadRow, indexed_alike, spelling_variants
from .cues import acronyms, commitment_candidates
from .figures import FoundFigure, Place, figures
from .participants import FoundParticipation, match_members, participations
from .progress import EvidenceSuggestion, ProgressSpan, progress_spans, proposed_commitment, reason

THREAD_CANDIDATES = 3
# Commitments per span ranked in full (their rows read); chosen from what the index found.
SEARCH_LIMIT = 40
# Words per span looked up in the index: the rarest ones, which tell pledges apart.
QUERY_WORDS = 24
# Commitments (and pledges) the index returns per word, newest first: all those holding a rare word,
# the newest of those holding a common one.
POSTINGS = 200
# Pledges per span found by their title and description.
THREAD_SEARCH_LIMIT = 5
# Below this a pledge is not offered at all: it shares too little with the span (before its line
# of effort counts).
MIN_THREAD_SCORE = 0.05
# How much a pledge's title and description count against its commitments' words.
TITLE_WEIGHT = 0.6
# How much a pledge's score depends on its line of effort being that of the span's nearest commitments.
LINE_AGREEMENT = 1.0
# Commitments whose line of effort votes for the span's, and how alike they must be to vote.
LINE_NEIGHBOURS = 5
MIN_LINE_SIMILARITY = 0.02

_STEMMER = snowballstemmer.stemmer("english")


class ThreadOffer(TypedDict):
    """A recurring pledge a span may continue, as the dry run's JSON gives it."""

    thread: str  # its slug
    score: float
    change_kind: str  # against its latest commitment (a commitments.models.ChangeKind value)


class SpanSuggestion(Place):
    """A span suggested as a commitment, as the dry run's JSON gives it."""

    quote: str
    cue: str
    strength: str
    line_of_effort: str | None  # a slug; None when no stored commitment is close enough to tell
    reason: str
    threads: list[ThreadOffer]  # best first


class Suggestions(TypedDict):
    suggestions: list[SpanSuggestion]
    figures: list[FoundFigure]
    participations: list[FoundParticipation]
    evidence: list[EvidenceSuggestion]


# A stored commitment and how alike the span is to it.
Scored = tuple[float, CommitmentRow]
# (thread row, score, change kind, wording score): a pledge offered for a span.
Offered = tuple[ThreadRow, float, str, float]


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    # The stemmer is pure Python: a statement and its candidates share most words, so stem each once.
    return _STEMMER.stemWord(spelling_variants(word)[-1])


def _stems(words: Iterable[str]) -> set[str]:
    """The stems of a text's words, with the key of each pledge subject they name (`ingest.concepts`)."""
    stems = {_stem(word) for word in words}
    return stems | concept_keys(stems, _stem)


class Rarity:
    """How rare each word stem is among stored commitments: inverse document frequencies.

    Counted in Python over a sample of stored commitments (`StoredCorpus.sample`: the newest ones,
    all of them in a small database), so that the weights are the same on every database and cover
    every stem of a candidate, not only the statement's.
    """

    def __init__(self, documents: Iterable[Iterable[str]]) -> None:
        self.size = 0
        self.counts: Counter[str] = Counter()
        for stems in documents:
            self.size += 1
            self.counts.update(stems)

    def idf(self, count: int) -> float:
        return math.log((self.size + 1) / (count + 0.5))

    def of(self, stem: str) -> float:
        return self.idf(self.counts.get(stem, 0))


def similarity(span_stems: AbstractSet[str], other_stems: AbstractSet[str], weights: Rarity) -> float:
    """How alike two texts are, 0..1: the cosine of their word stems weighted by rarity (TF-IDF, binary TF)."""
    if not span_stems or not other_stems:
        return 0.0
    # fsum: exact whatever the order a set is read in (which varies between processes), so that
    # equal texts tie exactly and every run breaks the tie alike.
    shared = math.fsum(weights.of(s) ** 2 for s in span_stems & other_stems)
    norms = math.sqrt(
        math.fsum(weights.of(s) ** 2 for s in span_stems) * math.fsum(weights.of(s) ** 2 for s in other_stems)
    )
    return shared / norms if norms else 0.0


def _query(words: Iterable[str], rarity: Rarity) -> dict[str, set[str]]:
    """{stem: its words} to look up for a span: the `QUERY_WORDS` rarest stems (longer first on a tie)."""
    groups: dict[str, set[str]] = {}
    for word in words:
        for variant in spelling_variants(word):
            if indexed_alike(variant):
                groups.setdefault(_stem(word), set()).add(variant)
    chosen = sorted(groups, key=lambda stem: (-rarity.of(stem), -len(stem), stem))[:QUERY_WORDS]
    return {stem: groups[stem] for stem in chosen}


def _found(
    query: Iterable[str], postings: Mapping[str, Sequence[tuple[int, int]]], rarity: Rarity, limit: int
) -> list[int]:
    """The ids of the `limit` rows the index found sharing the most rare stems with a span, for their length.

    Each row scores the summed squared weights of the stems it shares, over the square root of its
    length: an estimate of the cosine that ranks the found rows without reading them.
    """
    scores: dict[int, float] = {}
    lengths: dict[int, int] = {}
    for stem in query:
        weight = rarity.of(stem) ** 2
        for found_id, characters in postings.get(stem, ()):
            scores[found_id] = scores.get(found_id, 0.0) + weight
            lengths[found_id] = characters
    ranked = sorted(scores, key=lambda i: (-scores[i] / math.sqrt(max(lengths[i], 1)), -i))
    return ranked[:limit]


def suggest(text: str, *, corpus: StoredCorpus) -> Suggestions:
    """Suggestions for a statement's text against what `corpus` holds: the dry run's JSON, without `sha256`."""
    candidates = commitment_candidates(text)
    progress = progress_spans(text)
    # Progress sentences are looked up with the commitments' spans, in the same queries.
    places = [(c.start, c.end) for c in candidates] + [(p.start, p.end) for p in progress]
    defined = acronyms(text)
    span_words = [_spelled_out(words_of(text[start:end]), defined) for start, end in places]
    rarity = Rarity(_stems(words_of(quote + " " + summary)) for _, quote, summary in corpus.sample)
    queries = [_query(words, rarity) for words in span_words]
    merged: dict[str, set[str]] = {}
    for query in queries:
        for stem, variants in query.items():
            merged.setdefault(stem, set()).update(variants)
    groups = {stem: sorted(variants) for stem, variants in sorted(merged.items())}
    # A stem the sample shows to be in more than POSTINGS stored commitments is looked up among the
    # sampled (newest) ones only: the newest of them are what the index would return anyway.
    common: set[str] = set()
    if corpus.sample_floor is not None:
        common = {stem for stem in groups if rarity.counts[stem] * corpus.size > POSTINGS * rarity.size}
    postings = corpus.postings(groups, POSTINGS, recent=common) if groups else {}
    thread_postings = corpus.thread_postings(groups, POSTINGS) if groups else {}
    hits = [_found(query, postings, rarity, SEARCH_LIMIT) for query in queries]
    thread_hits = [_found(query, thread_postings, rarity, THREAD_SEARCH_LIMIT) for query in queries]
    rows = corpus.commitment_rows({i for found in hits for i in found})
    threads = corpus.thread_rows(
        {t for row in rows.values() for t in row["threads"]} | {t for found in thread_hits for t in found}
    )
    suggestions: list[SpanSuggestion] = []
    evidence: list[EvidenceSuggestion] = []
    for index, (words, found, found_threads) in enumerate(zip(span_words, hits, thread_hits, strict=True)):
        stems = _stems(words)
        scored = sorted(
            ((similarity(stems, _stored_stems(rows[i]), rarity), rows[i]) for i in found),
            key=lambda pair: (-pair[0], pair[1]["slug"]),
        )
        neighbours = _neighbours(scored)
        start, end = places[index]
        quote = text[start:end]
        offered = _thread_candidates(
            scored,
            [threads[t] for t in found_threads],
            threads,
            stems,
            rarity,
            quote,
            candidates[index].strength if index < len(candidates) else "soft",
            _line_votes(neighbours),
        )
        if index >= len(candidates):
            evidence.append(_evidence(progress[index - len(candidates)], quote, words, scored, offered, rarity, corpus))
            continue
        candidate = candidates[index]
        line, reason = _line_of_effort(neighbours, (offered[0][0], offered[0][3]) if offered else None)
        suggestions.append(
            {
                "start": candidate.start,
                "end": candidate.end,
                "quote": quote,
                "cue": candidate.cue,
                "strength": candidate.strength,
                "line_of_effort": line,
                "reason": reason,
                "threads": [
                    {"thread": pledge["slug"], "score": round(score, 3), "change_kind": kind}
                    for pledge, score, kind, _ in offered
                ],
            }
        )
    return {
        "suggestions": suggestions,
        "figures": figures(text),
        "participations": match_members(participations(text)),
        "evidence": evidence,
    }


def _evidence(
    span: ProgressSpan,
    quote: str,
    words: Sequence[str],
    scored: Sequence[Scored],
    offered: Sequence[Offered],
    rarity: Rarity,
    corpus: StoredCorpus,
) -> EvidenceSuggestion:
    """A progress sentence proposed as evidence for the earlier commitment of the pledge it matches best."""
    pledge, score = (offered[0][0], offered[0][1]) if offered else (None, 0.0)
    before = corpus.before[0] if corpus.before is not None else None
    slug, wording, _ = proposed_commitment(scored, pledge, score, before)
    if slug is None or pledge is None or wording is None:
        why = "No earlier commitment of a recurring pledge is close enough to tell what it reports on."
        slug, thread = None, None
    else:
        why = reason(words, _stems(words_of(wording)), _stem, rarity.of, slug, pledge["slug"])
        thread = pledge["slug"]
    return {
        "start": span.start,
        "end": span.end,
        "quote": quote,
        "cue": span.cue,
        "commitment": slug,
        "thread": thread,
        "score": round(score, 3) if slug else 0.0,
        "reason": why,
    }


def _spelled_out(words: list[str], defined: Mapping[str, str]) -> list[str]:
    """A span's words, with the words of the name of each acronym the text defines ("the CIFG mission":
    also counter, isis, finance, group), which say what the span is about."""
    extra = [w for word in words if word in defined for w in words_of(defined[word])]
    return list(dict.fromkeys([*words, *extra])) if extra else words


def _neighbours(scored: Sequence[Scored]) -> list[Scored]:
    """The most similar stored commitments, close enough to tell where a span belongs: [(score, row)]."""
    return [(score, row) for score, row in scored[:LINE_NEIGHBOURS] if score >= MIN_LINE_SIMILARITY]


def _line_votes(neighbours: Iterable[Scored]) -> dict[str, float]:
    """{line of effort: summed similarity of the neighbours filed under it}."""
    votes: dict[str, float] = {}
    for score, row in neighbours:
        votes[row["line_of_effort__slug"]] = votes.get(row["line_of_effort__slug"], 0.0) + score
    return votes


def _line_of_effort(neighbours: Sequence[Scored], pledge: tuple[ThreadRow, float] | None) -> tuple[str | None, str]:
    """The line of effort the most similar stored commitments and the likeliest pledge are filed under, and why.

    `pledge` is (thread row, wording score) of the span's best candidate pledge, or None: a curated
    grouping of commitments filed under one line, it votes as one more neighbour with its score.
    """
    votes = _line_votes(neighbours)
    if pledge is not None:
        thread, score = pledge
        votes[thread["line_of_effort__slug"]] = votes.get(thread["line_of_effort__slug"], 0.0) + score
    if not votes:
        return None, "No stored commitment is close enough to tell."
    line = max(sorted(votes), key=lambda slug: votes[slug])
    voters = [row for _, row in neighbours if row["line_of_effort__slug"] == line]
    reasons = []
    if voters:
        reasons.append(
            f"{len(voters)} of the {len(neighbours)} most similar stored commitments are filed there "
            f"(closest: {voters[0]['slug']})"
        )
    if pledge is not None and pledge[0]["line_of_effort__slug"] == line:
        reasons.append(f"the likeliest recurring pledge ({pledge[0]['slug']}) is filed there")
    reason = "; ".join(reasons) + "."
    return line, (reason[0].upper() + reason[1:])[:300]


def _stored_stems(row: CommitmentRow) -> set[str]:
    # The curator's summary says in other words what the quote pledges: both count.
    if "_stems" not in row:
        row["_stems"] = _stems(words_of(row["quote"] + " " + row["summary"]))
    return row["_stems"]


def _thread_candidates(
    scored: Sequence[Scored],
    found_threads: Iterable[ThreadRow],
    threads: Mapping[int, ThreadRow],
    stems: AbstractSet[str],
    weights: Rarity,
    quote: str,
    strength: str,
    line_votes: Mapping[str, float],
) -> list[Offered]:
    """Up to three recurring pledges the span may continue, best first.

    [(thread row, score, change kind, wording score)]: the wording score is how alike the words are,
    the score adds the line of effort.

    A pledge is a candidate when one of its commitments, or its title or description, matched the
    span. It scores by its most similar commitment (those retrieved, and its latest one) and, as
    much, by how well its title and description (what curators say the pledge is) fit the span;
    then by how many of the span's nearest stored commitments share the pledge's line of effort
    (`line_votes`): a pledge of a line none of them is filed under keeps half its score. The change
    kind is against the pledge's latest commitment.
    """
    best: dict[int, float] = {}
    for score, row in scored:
        for thread_id in row["threads"]:
            best[thread_id] = max(score, best.get(thread_id, 0.0))
    for thread in found_threads:
        best.setdefault(thread["id"], 0.0)
    total_votes = sum(line_votes.values())
    ranked: list[tuple[float, int, float]] = []
    for thread_id, score in best.items():
        thread = threads[thread_id]
        if "_stems" not in thread:
            thread["_stems"] = _stems(words_of(thread["title"] + " " + thread["description"]))
            thread["_latest_stems"] = _stems(words_of(thread["latest_quote"] or ""))
        score = max(score, similarity(stems, thread["_latest_stems"], weights))
        score = (1 - TITLE_WEIGHT) * score + TITLE_WEIGHT * similarity(stems, thread["_stems"], weights)
        if score < MIN_THREAD_SCORE:
            continue
        agreement = line_votes.get(thread["line_of_effort__slug"], 0.0) / total_votes if total_votes else 0.0
        ranked.append((score * (1 + LINE_AGREEMENT * agreement) / (1 + LINE_AGREEMENT), thread_id, score))
    ranked.sort(key=lambda item: (-item[0], threads[item[1]]["slug"]))
    result: list[Offered] = []
    for score, thread_id, wording in ranked[:THREAD_CANDIDATES]:
        thread = threads[thread_id]
        if thread["latest_quote"] is None:
            change_kind = "new"  # nothing of this pledge came before: the span would open it
        else:
            change_kind = str(suggest_change_kind(thread["latest_quote"], thread["latest_strength"], quote, strength))
        result.append((thread, score, change_kind, wording))
    return result
