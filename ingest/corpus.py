"""Which stored commitments a span of a new statement may resemble, through the database's own full-text search.

SQLite: the FTS5 table `commitments_commitment_fts`; PostgreSQL: the generated tsvector column
`search_document` with its GIN index (migrations 0003 and 0004, which make both cut and stem words
alike). The index only finds candidates: for each word, the newest commitments holding it. How
rare a word is and how alike two texts are is worked out in Python (ingest.ranking) from rows
both databases return identically, so that suggestions are the same on either, and no query reads
the table whole.
"""

import datetime
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import NotRequired, TypedDict, cast

import snowballstemmer
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import F, Max, Min, OuterRef, Q, QuerySet, Subquery

from commitments.models import Commitment, Thread, ThreadEntry
from core.words import MIN_TERM_LENGTH

_CIAL = re.compile(r"(?<=[a-z]{3})cial(?:ly)?$")
_BRITISH = re.compile(r"(?<=[a-z]{4})is(?=e|ed|es|ing|ation|ations\b)")

# A (meeting start date, statement position) key: what comes before it in meeting order.
Before = tuple[datetime.date, int]
# {key: [(id, characters)]}: the rows the full-text index found for each group of words, newest first.
Postings = dict[str, list[tuple[int, int]]]
# The SQL parameters of one look-up that follow its words, by the group's key.
Params = Callable[[str], Sequence[int | None]]


class CommitmentRow(TypedDict):
    """A stored commitment as suggestions compare with it (`StoredCorpus.commitment_rows`)."""

    id: int
    slug: str
    quote: str
    summary: str
    strength: str
    line_of_effort__slug: str
    line_of_effort__name: str
    threads: list[int]  # the ids of its recurring pledges
    statement__meeting__start_date: datetime.date  # when it was made: evidence comes from a later meeting
    _stems: NotRequired[set[str]]  # ingest.ranking's, once worked out


class ThreadRow(TypedDict):
    """A recurring pledge as suggestions offer it (`StoredCorpus.thread_rows`), with its latest commitment."""

    id: int
    slug: str
    title: str
    description: str
    line_of_effort__slug: str
    latest_quote: str | None  # None: no commitment of it comes before
    latest_strength: str | None
    # Its latest commitment from a meeting before the statement's (None: none): what a progress
    # sentence of the statement may be evidence for (`ingest.progress`).
    earlier_slug: str | None
    earlier_quote: str | None
    _stems: NotRequired[set[str]]  # ingest.ranking's, once worked out: of the title and description
    _latest_stems: NotRequired[set[str]]  # and of the latest quote


_PORTER = snowballstemmer.stemmer("porter")


def indexed_alike(word: str) -> bool:
    """Whether both databases' indexes find the same commitments for a word (see migration 0004).

    Both stem by the Porter algorithm, but SQLite's FTS5 leaves words under three letters unstemmed
    (so "use", stemmed "us", also finds "us" there) and follows Porter's later revision for words in
    -bli and -logi ("ideology": "ideolog" in FTS5, "ideologi" in PostgreSQL): the words whose stem
    either rule touches are not looked up, so that both find the same candidates.
    """
    stem: str = _PORTER.stemWord(word)
    return len(stem) >= MIN_TERM_LENGTH and not stem.endswith(("bl", "bli", "log", "logi"))


def spelling_variants(word: str) -> list[str]:
    """The word, its -ize spelling ("stabilisation" also as "stabilization") and, for an adjective in -cial,
    the noun it comes from ("financial" also as "finance", "commercial" as "commerce"): forms stemmers keep
    apart. The last one is the form a word is stemmed as, so that "financial" and "financing" weigh alike."""
    variants = [word]
    american = _BRITISH.sub("iz", word)
    if american != word:
        variants.append(american)
    noun = _CIAL.sub("ce", variants[-1])
    if noun != variants[-1]:
        variants.append(noun)
    return variants


class StoredCorpus:
    """The stored commitments as suggestions for one statement see them.

    `before` is a (meeting start date, statement position) key: a thread's "latest commitment" is the
    latest one before it in meeting order (None: the latest stored). `exclude_statement` hides one
    statement's commitments from every query (the statement being suggested for, or the one an
    evaluation hides).

    Every answer is the same on SQLite and PostgreSQL: rows in id order, and index look-ups whose
    matching both indexes define alike (migration 0004). How those answers rank is up to the caller.
    """

    # How many of the newest commitments word rarity is counted over: enough for stable weights,
    # and a fixed cost however large the table grows.
    SAMPLE = 1000

    def __init__(self, *, before: Before | None = None, exclude_statement: int | None = None) -> None:
        self.before = before
        self.exclude_statement = exclude_statement
        self.vendor = connection.vendor
        if self.vendor not in {"sqlite", "postgresql"}:
            raise NotImplementedError(f"No full-text search for the {self.vendor} database.")

    def _commitments(self) -> QuerySet[Commitment]:
        queryset = Commitment.objects.all()
        if self.exclude_statement is not None:
            queryset = queryset.exclude(statement_id=self.exclude_statement)
        return queryset

    @cached_property
    def size(self) -> int:
        """About how many commitments are stored: the span of their ids (two index look-ups, not a count)."""
        bounds = Commitment.objects.aggregate(low=Min("id"), high=Max("id"))
        return 0 if bounds["high"] is None else bounds["high"] - bounds["low"] + 1

    @cached_property
    def sample(self) -> list[tuple[int, str, str]]:
        """[(id, quote, summary)] of the `SAMPLE` newest commitments (by id): all of them in a small database."""
        return list(self._commitments().order_by("-id").values_list("id", "quote", "summary")[: self.SAMPLE])

    @property
    def sample_floor(self) -> int | None:
        """The oldest id in `sample`, when it could not hold every commitment (else None)."""
        return self.sample[-1][0] if len(self.sample) == self.SAMPLE else None

    def postings(
        self, groups: Mapping[str, Iterable[str]], limit: int, recent: Collection[str] = frozenset()
    ) -> Postings:
        """{key: [(commitment id, characters of quote and summary)]}: for each group of words, the
        newest `limit` commitments holding any of them (through the full-text index), newest first.

        A rare word's list is whole. The keys in `recent` are common words: they are looked up among
        the sampled commitments only (see `sample`), since reading every row that holds a word common
        in a large table costs time that grows with it.
        """
        exclude = -1 if self.exclude_statement is None else self.exclude_statement
        floor = self.sample_floor
        common = {key: words for key, words in groups.items() if key in recent and floor is not None}
        rare = {key: words for key, words in groups.items() if key not in common}
        if self.vendor == "postgresql":
            result = self._postings_postgresql(
                rare,
                "SELECT id, char_length(quote) + char_length(summary) FROM commitments_commitment "
                "WHERE search_document @@ to_tsquery('commitments_porter', %s) AND statement_id <> %s "
                "ORDER BY id DESC LIMIT %s",
                lambda key: [exclude, limit],
            )
            result.update(self._recent_postings_postgresql(common, limit, exclude))
            return result
        look_up = (
            "SELECT c.id, length(c.quote) + length(c.summary) FROM commitments_commitment_fts f "
            "JOIN commitments_commitment c ON c.id = f.rowid WHERE commitments_commitment_fts MATCH %s "
            "AND c.statement_id <> %s AND f.rowid >= %s ORDER BY f.rowid DESC LIMIT %s"
        )
        result = self._postings_sqlite(rare, look_up, lambda key: [exclude, 0, limit])  # ids start at 1
        result.update(self._postings_sqlite(common, look_up, lambda key: [exclude, floor, limit]))
        return result

    def _recent_postings_postgresql(self, groups: Mapping[str, Iterable[str]], limit: int, exclude: int) -> Postings:
        """`postings` of common words among the sampled commitments, in one pass over them.

        Through the index, a common word would read every row that holds it, or the planner could
        choose so without statistics; the sampled rows are few and read once, by their primary key.
        """
        if not groups:
            return {}
        keys = list(groups)
        with _cursor_without_jit() as cursor:
            cursor.execute(
                "WITH queries AS MATERIALIZED ("
                "SELECT k, to_tsquery('commitments_porter', query) AS query "
                "FROM unnest(%s::text[]) WITH ORDINALITY AS u(query, k)), "
                "recent AS MATERIALIZED ("
                "SELECT id, char_length(quote) + char_length(summary) AS characters, search_document "
                "FROM commitments_commitment WHERE id >= %s AND statement_id <> %s ORDER BY id DESC LIMIT %s) "
                "SELECT queries.k, recent.id, recent.characters FROM recent JOIN queries "
                "ON recent.search_document @@ queries.query ORDER BY queries.k, recent.id DESC",
                [
                    [" | ".join(_pg_term(w) for w in groups[key]) for key in keys],
                    self.sample_floor,
                    exclude,
                    self.SAMPLE,
                ],
            )
            result: Postings = {key: [] for key in keys}
            for number, found_id, characters in cursor.fetchall():
                found = result[keys[number - 1]]
                if len(found) < limit:
                    found.append((found_id, characters))
        return result

    def thread_postings(self, groups: Mapping[str, Iterable[str]], limit: int) -> Postings:
        """{key: [(thread id, characters of title and description)]}: as `postings`, over the recurring
        pledges' titles and descriptions."""
        if self.vendor == "postgresql":
            return self._postings_postgresql(
                groups,
                "SELECT id, char_length(title) + char_length(description) FROM commitments_thread "
                "WHERE search_document @@ to_tsquery('commitments_porter', %s) ORDER BY id DESC LIMIT %s",
                lambda key: [limit],
            )
        return self._postings_sqlite(
            groups,
            "SELECT t.id, length(t.title) + length(t.description) FROM commitments_thread_fts f "
            "JOIN commitments_thread t ON t.id = f.rowid "
            "WHERE commitments_thread_fts MATCH %s ORDER BY f.rowid DESC LIMIT %s",
            lambda key: [limit],
        )

    @staticmethod
    def _postings_sqlite(groups: Mapping[str, Iterable[str]], sql: str, params: Params) -> Postings:
        # FTS5 is in process: a query per group costs no round trip.
        result: Postings = {}
        with connection.cursor() as cursor:
            for key, words in groups.items():
                cursor.execute(sql, [" OR ".join(_fts5_term(w) for w in words), *params(key)])
                result[key] = cursor.fetchall()
        return result

    # Groups per PostgreSQL query: one round trip for many look-ups, each planned for its own word.
    GROUPS_PER_QUERY = 100

    def _postings_postgresql(self, groups: Mapping[str, Iterable[str]], sql: str, params: Params) -> Postings:
        result: Postings = {key: [] for key in groups}
        keys = list(groups)
        part = "SELECT %s AS k, p.* FROM (" + sql + ") p"  # noqa: S608 - fixed SQL, words are parameters
        with _cursor_without_jit() as cursor:
            for first in range(0, len(keys), self.GROUPS_PER_QUERY):
                chunk = keys[first : first + self.GROUPS_PER_QUERY]
                values: list[int | str | None] = []
                for number, key in enumerate(chunk):
                    values += [number, " | ".join(_pg_term(w) for w in groups[key]), *params(key)]
                cursor.execute(" UNION ALL ".join([part] * len(chunk)), values)
                for number, found_id, characters in cursor.fetchall():
                    result[chunk[number]].append((found_id, characters))
        for found in result.values():
            found.sort(key=lambda row: -row[0])
        return result

    def commitment_rows(self, ids: Collection[int]) -> dict[int, CommitmentRow]:
        """{id: row} of the given commitments: quote, summary, strength, line of effort and pledges."""
        rows = {
            row["id"]: cast(CommitmentRow, dict(row, threads=[]))  # the rows of `values()` are untyped here
            for row in Commitment.objects.filter(id__in=ids).values(
                "id",
                "slug",
                "quote",
                "summary",
                "strength",
                "line_of_effort__slug",
                "line_of_effort__name",
                "statement__meeting__start_date",
            )
        }
        for commitment_id, thread_id in ThreadEntry.objects.filter(commitment_id__in=ids).values_list(
            "commitment_id", "thread_id"
        ):
            rows[commitment_id]["threads"].append(thread_id)
        return rows

    def thread_rows(self, thread_ids: Collection[int]) -> dict[int, ThreadRow]:
        """{id: row} of the given threads, each with its latest commitment before `before` (quote, strength)."""
        entries = ThreadEntry.objects.filter(thread_id=OuterRef("pk"))
        if self.exclude_statement is not None:
            entries = entries.exclude(commitment__statement_id=self.exclude_statement)
        latest = earlier = entries
        if self.before is not None:
            date, position = self.before
            latest = entries.filter(
                Q(commitment__statement__meeting__start_date__lt=date)
                | Q(commitment__statement__meeting__start_date=date, commitment__statement__position__lt=position)
            )
            earlier = entries.filter(commitment__statement__meeting__start_date__lt=date)
        order = (
            F("commitment__statement__meeting__start_date").desc(),
            F("commitment__statement__position").desc(),
            F("commitment__start").desc(),
        )
        latest, earlier = latest.order_by(*order), earlier.order_by(*order)
        rows = Thread.objects.filter(id__in=thread_ids).annotate(
            latest_quote=Subquery(latest.values("commitment__quote")[:1]),
            latest_strength=Subquery(latest.values("commitment__strength")[:1]),
            earlier_slug=Subquery(earlier.values("commitment__slug")[:1]),
            earlier_quote=Subquery(earlier.values("commitment__quote")[:1]),
        )
        return {
            row["id"]: cast(ThreadRow, row)
            for row in rows.values(
                "id",
                "slug",
                "title",
                "description",
                "line_of_effort__slug",
                "latest_quote",
                "latest_strength",
                "earlier_slug",
                "earlier_quote",
            )
        }


@contextmanager
def _cursor_without_jit() -> Iterator[CursorWrapper]:
    """A PostgreSQL cursor in a transaction that compiles no query to machine code.

    Many look-ups in one query add up to an estimated cost past `jit_above_cost` (most easily when
    the table has no statistics yet), and compiling then takes longer than the look-ups themselves.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield cursor


def _fts5_term(word: str) -> str:
    # A quoted FTS5 string is a phrase of its tokens: safe whatever the word holds.
    return '"' + word.replace('"', '""') + '"'


def _pg_term(word: str) -> str:
    # to_tsquery reads operators: only letters and digits reach it.
    return re.sub(r"[^a-z0-9]", "", word.lower()) or "x"
