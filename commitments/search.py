"""What a reader's words look for, as the full-text indexes read them: the one search of the tracker.

A query is cut into concepts, every one of which a match must hold, in any order and anywhere in
the text (not as adjacent words). A concept is one word of the query, or several words that name
one thing in the curated synonyms (`synonyms.yaml`, beside this module); it is found as any of its
alternatives:

- the word itself, stemmed by the index (Porter's algorithm: "detainees" finds "detainee");
- its other spelling, -ise/-ize and -isation/-ization ("stabilisation" also as "stabilization"),
  which a stemmer keeps apart;
- for words the synonyms name, every other name of the same thing, a term of several words as
  those words in that order ("FTF" finds "foreign terrorist fighters", "Daesh" finds "ISIS");
- the name of a line of effort: a commitment or a recurring pledge filed under a line whose name
  holds the word is found by it ("detainees" finds the pledges of "Detainees, justice and
  accountability").

Words that say nothing on their own ("the", "of", `STOPWORDS`) are left out, unless they are part
of a synonym. The look-ups read the indexes ingest keeps (migrations 0003 and 0004: SQLite's FTS5
tables, PostgreSQL's `search_document` columns with GIN indexes, both cutting and stemming words
alike), never the table row by row, so a search costs the rows it finds. Lines of effort, a short
list, are matched by the start of a word of their name, the same way on both databases.

`Commitment.objects.search()`, `Thread.objects.search()` and the pages and the API through them
use this module; `marked_spans()` says which words of a quote a search matched, for the pages to
mark them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import snowballstemmer
import yaml
from django.apps import apps
from django.db import connection
from django.db.models import Q

from core.words import STOPWORDS

# The curated synonyms: data kept with the code, reviewed by tests/test_search.py.
SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")

# Words that say nothing about what a pledge is about (`core.words`, shared with ingest and the slug
# suggestions). The indexes drop none of them, so a query that kept them would ask every match to hold "the".

# At most this many concepts of a query are looked up: a longer query is cut (each costs a look-up).
MOST_CONCEPTS = 8

# A word as both indexes cut one: a run of letters and digits (FTS5's unicode61, and the
# `regexp_replace` of migration 0004 for PostgreSQL).
_WORD = re.compile(r"[^\W_]+")
# -ise/-ize spellings: the stem before it has three letters at least ("organis-", "stabilis-", not "rise").
_SPELLING = re.compile(r"(?<=[a-z]{3})i[sz](?=e|ing|ation)")
_PORTER = snowballstemmer.stemmer("porter")


def fold(text: str) -> str:
    """Lower case without diacritics, as FTS5's `remove_diacritics` reads a text ("Türkiye": "turkiye")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a text as the indexes cut them, in lower case.

    Diacritics are kept: FTS5 folds them on both sides of a look-up, PostgreSQL keeps them in its
    index, so a word written with them ("Türkiye") is found on both where a text writes it so.
    """
    return _WORD.findall(text.lower())


def spelling_variants(word: str) -> list[str]:
    """The word and its other spelling, -ise/-ize either way ("stabilization" and "stabilisation")."""
    other = _SPELLING.sub(lambda m: "iz" if m.group(0) == "is" else "is", word)
    return [word] if other == word else [word, other]


def key(word: str) -> str:
    """What two spellings and inflections of a word share: the Porter stem of its -ize spelling."""
    american = _SPELLING.sub("iz", fold(word))
    return str(_PORTER.stemWord(american))


@dataclass(frozen=True)
class Alternative:
    """A way of finding a concept: all of its words, in their order when `phrase`, else anywhere."""

    words: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True)
class Concept:
    """What one word (or one synonym's words) of a query stands for: found as any of its alternatives."""

    said: str  # the query's words for it, as written
    alternatives: tuple[Alternative, ...]


@functools.cache
def synonym_groups() -> tuple[tuple[tuple[str, ...], ...], ...]:
    """The synonyms file's groups, each term as its words (`words()`)."""
    data = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return tuple(tuple(tuple(words(str(term))) for term in group) for group in data["groups"])


@functools.cache
def _synonyms_by_key() -> dict[tuple[str, ...], int]:
    """{the keys of a term's words: its group's number}."""
    return {tuple(key(w) for w in term): number for number, group in enumerate(synonym_groups()) for term in group}


def parse(text: str) -> list[Concept]:
    """The concepts of a query, in its order, each once: synonyms by the longest term that fits."""
    found = list(_WORD.finditer(text))
    tokens = [match.group(0).lower() for match in found]
    keys = [key(token) for token in tokens]
    by_key = _synonyms_by_key()
    longest = max((len(term) for term in by_key), default=1)
    concepts: dict[tuple[Alternative, ...], Concept] = {}
    at = 0
    while at < len(tokens):
        for length in range(min(longest, len(tokens) - at), 0, -1):
            group = by_key.get(tuple(keys[at : at + length]))
            if group is not None:
                mine = tokens[at : at + length]
                said = text[found[at].start() : found[at + length - 1].end()]
                # The reader's own words are found anywhere, as any other words of theirs are.
                own = [Alternative((variant,)) for variant in spelling_variants(mine[0])] if length == 1 else []
                own = own or [Alternative(tuple(mine))]
                others = [Alternative(term, phrase=len(term) > 1) for term in synonym_groups()[group]]
                alternatives = tuple(dict.fromkeys([*own, *others]))
                at += length
                break
        else:
            token = tokens[at]
            at += 1
            if token in STOPWORDS:
                continue
            alternatives = tuple(Alternative((variant,)) for variant in spelling_variants(token))
            said = found[at - 1].group(0)
        concepts.setdefault(alternatives, Concept(said, alternatives))
    return list(concepts.values())[:MOST_CONCEPTS]


def fts5_query(concept: Concept) -> str:
    """The concept as an FTS5 MATCH expression: its alternatives or'ed, each quoted (safe whatever it holds)."""

    def alternative(a: Alternative) -> str:
        if a.phrase:
            return '"' + " ".join(a.words) + '"'
        return "(" + " AND ".join(f'"{w}"' for w in a.words) + ")"

    return " OR ".join(alternative(a) for a in concept.alternatives)


def tsquery(concept: Concept) -> str:
    """The concept as a PostgreSQL `to_tsquery` text: words joined by & (or <-> in a phrase), alternatives by |.

    Words are letters and digits only (`words()`), so nothing in them is read as an operator.
    """

    def alternative(a: Alternative) -> str:
        return "(" + (" <-> " if a.phrase else " & ").join(a.words) + ")"

    return " | ".join(alternative(a) for a in concept.alternatives)


def word_starts(concept: Concept) -> list[list[tuple[str, bool]]]:
    """For each alternative, each of its words as a name is searched for: (its start, cut to what it shares
    with its stem, "detainees": "detaine"; whether it is a short word, looked for whole: "un", "uk")."""
    starts = []
    for a in concept.alternatives:
        parts = []
        for word in a.words:
            start = _common_start(word, str(_PORTER.stemWord(word)))
            short = len(start) < 4
            parts.append((word if short else start, short))
        starts.append(parts)
    return starts


def name_patterns(concept: Concept) -> list[list[str]]:
    """For each alternative, the regular expressions a name must all match to hold it: each word at the
    start of a word of the name, cut to what it shares with its stem (`word_starts`)."""
    return [
        [r"(^|[^a-z0-9])" + re.escape(start) + (r"([^a-z0-9]|$)" if short else "") for start, short in parts]
        for parts in word_starts(concept)
    ]


def names_holding(concept: Concept, field: str = "name", *, long: bool = False) -> Q:
    """A filter on a name field (a line of effort's, a member's) for names holding the concept: any of its
    alternatives, each of whose words starts a word of the name (`name_patterns`). The same on both
    databases: a regular expression both read alike, over a short list of names. For a `long` list (texts
    with no index: the history's rows), each expression is preceded by a plain case-insensitive `LIKE` on
    the word's start, which rules most rows out before SQLite calls back into Python for the expression;
    not for a start with a letter beyond ASCII, which SQLite's `LIKE` does not fold ("égalité" would miss
    "Égalité")."""
    held = Q()
    for parts, patterns in zip(word_starts(concept), name_patterns(concept), strict=True):
        every = Q()
        for (start, _), pattern in zip(parts, patterns, strict=True):
            if long and start.isascii():
                every &= Q(**{f"{field}__icontains": start})
            every &= Q(**{f"{field}__iregex": pattern})
        held |= every
    return held


def _common_start(a: str, b: str) -> str:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return a[:length]


@dataclass(frozen=True)
class Marked:
    """A matched word of a text, by its offsets (what `core.marking.mark_spans` marks)."""

    start: int
    end: int


def marked_spans(text: str, concepts: Sequence[Concept]) -> list[Marked]:
    """The words of a text that the concepts matched, in text order: each word whose stem is one of a
    concept's words, and the words of a synonym of several words where they stand together."""
    found = list(_WORD.finditer(text))
    keys = [key(match.group(0)) for match in found]
    single = {key(w) for c in concepts for a in c.alternatives if not a.phrase for w in a.words}
    phrases = {tuple(key(w) for w in a.words) for c in concepts for a in c.alternatives if a.phrase}
    marked = {index for index, word in enumerate(keys) if word in single}
    for phrase in phrases:
        for at in range(len(keys) - len(phrase) + 1):
            if tuple(keys[at : at + len(phrase)]) == phrase:
                marked.update(range(at, at + len(phrase)))
    return [Marked(found[index].start(), found[index].end()) for index in sorted(marked)]


# -- search: one subquery per concept, through the full-text indexes (migrations 0003 and 0004) -----


def lines_named(concept: Concept) -> tuple[str, list[Any]]:
    """SQL for the ids of the lines of effort whose name holds the concept (a short list, read whole)."""
    lines = apps.get_model("commitments", "LineOfEffort")  # the models import this module
    sql, params = lines.objects.filter(names_holding(concept)).order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def commitments_holding(concept: Concept, *, by_line: bool = True) -> tuple[str, list[Any]]:
    """SQL and parameters for the ids of the commitments holding the concept: in the quote or summary
    (the index), or (`by_line`) filed under a line of effort whose name holds it."""
    if connection.vendor == "postgresql":
        text = "SELECT id FROM commitments_commitment WHERE search_document @@ to_tsquery('commitments_porter', %s)"
        query = tsquery(concept)
    else:
        text = "SELECT rowid FROM commitments_commitment_fts WHERE commitments_commitment_fts MATCH %s"
        query = fts5_query(concept)
    # Fixed SQL and the ORM's own for the lines: the words are parameters.
    if not by_line:
        return text, [query]
    lines, params = lines_named(concept)
    sql = f"{text} UNION SELECT id FROM commitments_commitment WHERE line_of_effort_id IN ({lines})"  # noqa: S608
    return sql, [query, *params]


def threads_holding(concept: Concept) -> tuple[str, list[Any]]:
    """SQL and parameters for the ids of the recurring pledges holding the concept: in the title or
    description (the index), in the name of their line of effort, or in the words of one of their
    commitments (the pledge's own line of effort stands for theirs: a line matched by name would
    otherwise bring every pledge holding one of its many commitments)."""
    lines, params = lines_named(concept)
    commitments, commitment_params = commitments_holding(concept, by_line=False)
    if connection.vendor == "postgresql":
        text = "SELECT id FROM commitments_thread WHERE search_document @@ to_tsquery('commitments_porter', %s)"
        query = tsquery(concept)
    else:
        text = "SELECT rowid FROM commitments_thread_fts WHERE commitments_thread_fts MATCH %s"
        query = fts5_query(concept)
    # Fixed SQL and the ORM's own for the lines and commitments: the words are parameters. A pledge is
    # found through its published commitments only: a draft's words never bring a pledge to a reader.
    # CROSS JOIN fixes SQLite's join order (PostgreSQL plans it as the inner join it is): from the entries of
    # the matching commitments outwards. Left to itself SQLite began at the published statements (their
    # `draft` index) and sought every match in each: 14 s for two common words at 100k commitments.
    sql = (
        f"{text} UNION SELECT id FROM commitments_thread WHERE line_of_effort_id IN ({lines}) "  # noqa: S608
        "UNION SELECT entry.thread_id FROM commitments_threadentry entry "
        "CROSS JOIN commitments_commitment commitment CROSS JOIN meetings_statement statement "
        "CROSS JOIN meetings_meeting meeting "
        f"WHERE entry.commitment_id IN ({commitments}) AND commitment.id = entry.commitment_id "
        "AND statement.id = commitment.statement_id AND meeting.id = statement.meeting_id "
        "AND statement.draft = %s AND meeting.draft = %s"
    )
    return sql, [query, *params, *commitment_params, False, False]
