"""Which stored commitments a span of a new statement resembles, through the database's own full-text search.

SQLite: the FTS5 table `commitments_commitment_fts` (BM25); PostgreSQL: the generated tsvector column
`search_document` with its GIN index (ts_rank). Both are created and kept in step by migration
0003. Retrieval asks the index for the few best-ranked commitments and never reads the table whole:
the ranking after that (commitments.ingest) works on those few rows only.
"""

import re
from functools import cached_property

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery

from meetings.quotes import display_text

from .models import Commitment, LineOfEffort, Thread, ThreadEntry

# Words that say nothing about what a pledge is about (both engines drop most of them too).
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves shall must may
    might upon within without well including like""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")
_BRITISH = re.compile(r"(?<=[a-z]{4})is(?=e|ed|es|ing|ation|ations\b)")
MIN_TERM_LENGTH = 3


def words_of(text):
    """The content words of a text, lower-cased, in order, without repeats (capture artefacts folded)."""
    seen = []
    for token in _TOKEN.findall(display_text(text).lower()):
        if len(token) >= MIN_TERM_LENGTH and token not in STOPWORDS and token not in seen:
            seen.append(token)
    return seen


def spelling_variants(word):
    """The word and its -ize spelling ("stabilisation" also as "stabilization"), which stemmers keep apart."""
    american = _BRITISH.sub("iz", word)
    return [word] if american == word else [word, american]


class StoredCorpus:
    """The stored commitments as suggestions for one statement see them.

    `before` is a (meeting start date, statement position) key: a thread's "latest commitment" is the
    latest one before it in meeting order (None: the latest stored). `exclude_statement` hides one
    statement's commitments from every query (the statement being suggested for, or the one an
    evaluation hides).
    """

    # Words are counted up to this many rows: past it a word is common (its weight no longer
    # changes much), and counting further would cost time that grows with the table.
    COUNT_LIMIT = 1000
    # Each search ranks at most this many matching commitments, the most recently stored first, so
    # its cost does not grow with the table; then it keeps the best-ranked few.
    POOL = 1000

    def __init__(self, *, before=None, exclude_statement=None):
        self.before = before
        self.exclude_statement = exclude_statement
        self.vendor = connection.vendor
        self._frequencies = {}

    def _commitments(self):
        queryset = Commitment.objects.all()
        if self.exclude_statement is not None:
            queryset = queryset.exclude(statement_id=self.exclude_statement)
        return queryset

    @cached_property
    def size(self):
        """How many commitments the suggestions are made against."""
        return self._commitments().count()

    def document_frequencies(self, words):
        """{word: number of stored commitments holding it}, counted by the index up to `COUNT_LIMIT`."""
        missing = [w for w in dict.fromkeys(words) if w not in self._frequencies]
        if missing:
            self._frequencies.update(self._count(missing, self.COUNT_LIMIT))
        return {w: self._frequencies[w] for w in words}

    def _count(self, words, limit):
        if self.vendor == "postgresql":
            return self._count_postgresql(words, limit)
        if self.vendor != "sqlite":
            raise NotImplementedError(f"No full-text search for the {self.vendor} database.")
        counts = {}
        with connection.cursor() as cursor:
            for word in words:
                cursor.execute(
                    "SELECT count(*) FROM (SELECT rowid FROM commitments_commitment_fts "
                    "WHERE commitments_commitment_fts MATCH %s LIMIT %s)",
                    [_fts5_term(word), limit],
                )
                counts[word] = cursor.fetchone()[0]
        return counts

    def _count_postgresql(self, words, limit):
        """Counts from the statistics ANALYZE keeps of the commonest lexemes, and by the index for the others.

        Counting a common word row by row would cost time that grows with the table; PostgreSQL's
        statistics on the tsvector column already hold the share of rows having each of its
        commonest lexemes (`most_common_elems`). The rarer ones are counted exactly, in one query
        over the few rows that hold any of them.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t, (unnest(to_tsvector('english', t))).lexeme FROM unnest(%s::text[]) AS t", [list(words)]
            )
            lexemes = {}
            for word, lexeme in cursor.fetchall():
                lexemes.setdefault(word, set()).add(lexeme)
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = 'commitments_commitment' "
                "AND attname = 'search_document'"
            )
            stats = cursor.fetchone()
            common = dict(zip(stats[0], stats[1], strict=False)) if stats and stats[0] else {}
            counts = {lexeme: int(share * self.size) for lexeme, share in common.items()}
            rare = sorted({lexeme for found in lexemes.values() for lexeme in found} - set(common))
            if rare:
                cursor.execute(
                    "SELECT l.lexeme, count(*) FROM commitments_commitment c, unnest(c.search_document) l "
                    "WHERE c.search_document @@ to_tsquery('simple', %s) AND l.lexeme = ANY(%s) GROUP BY l.lexeme",
                    [" | ".join(_pg_term(lexeme) for lexeme in rare), rare],
                )
                counts.update(cursor.fetchall())
        result = {}
        for word in words:
            found = [counts.get(lexeme, 0) for lexeme in lexemes.get(word, ())]
            result[word] = min(min(found), limit) if found else 0  # a stop word has no lexeme
        return result

    def search(self, words, limit):
        """[(commitment id, rank)] of the stored commitments best matching any of the words, best first.

        Ranked among the `POOL` most recently stored commitments that match (the newest pledges are
        the ones a new statement continues), so that the cost stays flat as the table grows.
        """
        if not words:
            return []
        exclude = -1 if self.exclude_statement is None else self.exclude_statement
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                query = " | ".join(dict.fromkeys(_pg_term(w) for w in words))
                cursor.execute(
                    "SELECT id, ts_rank(search_document, q) AS rank FROM ("
                    "SELECT c.id, c.search_document FROM commitments_commitment c "
                    "WHERE c.search_document @@ to_tsquery('english', %s) AND c.statement_id <> %s "
                    "ORDER BY c.id DESC LIMIT %s) pool, to_tsquery('english', %s) q "
                    "ORDER BY rank DESC, id LIMIT %s",
                    [query, exclude, self.POOL, query, limit],
                )
                return cursor.fetchall()
            query = " OR ".join(dict.fromkeys(_fts5_term(w) for w in words))
            # bm25() is lower for better matches; the quote weighs more than the curator's summary.
            cursor.execute(
                "SELECT id, -score FROM ("
                "SELECT f.rowid AS id, bm25(commitments_commitment_fts, 1.0, 0.5) AS score "
                "FROM commitments_commitment_fts f JOIN commitments_commitment c ON c.id = f.rowid "
                "WHERE commitments_commitment_fts MATCH %s AND c.statement_id <> %s "
                "ORDER BY f.rowid DESC LIMIT %s) ORDER BY score, id LIMIT %s",
                [query, exclude, self.POOL, limit],
            )
            return cursor.fetchall()

    def search_threads(self, words, limit):
        """[thread id] of the recurring pledges whose title or description best match any of the words."""
        if not words:
            return []
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT t.id FROM commitments_thread t, to_tsquery('english', %s) q WHERE t.search_document @@ q "
                    "ORDER BY ts_rank(t.search_document, q) DESC, t.id LIMIT %s",
                    [" | ".join(dict.fromkeys(_pg_term(w) for w in words)), limit],
                )
            else:
                cursor.execute(
                    "SELECT rowid FROM commitments_thread_fts WHERE commitments_thread_fts MATCH %s "
                    "ORDER BY rank, rowid LIMIT %s",
                    [" OR ".join(dict.fromkeys(_fts5_term(w) for w in words)), limit],
                )
            return [row[0] for row in cursor.fetchall()]

    def commitment_rows(self, ids):
        """{id: row} of the given commitments: quote, summary, strength, line of effort and pledges."""
        rows = {
            row["id"]: dict(row, threads=[])
            for row in Commitment.objects.filter(id__in=ids).values(
                "id", "slug", "quote", "summary", "strength", "line_of_effort__slug", "line_of_effort__name"
            )
        }
        for commitment_id, thread_id in ThreadEntry.objects.filter(commitment_id__in=ids).values_list(
            "commitment_id", "thread_id"
        ):
            rows[commitment_id]["threads"].append(thread_id)
        return rows

    def thread_rows(self, thread_ids):
        """{id: row} of the given threads, each with its latest commitment before `before` (quote, strength)."""
        latest = ThreadEntry.objects.filter(thread_id=OuterRef("pk"))
        if self.exclude_statement is not None:
            latest = latest.exclude(commitment__statement_id=self.exclude_statement)
        if self.before is not None:
            date, position = self.before
            latest = latest.filter(
                Q(commitment__statement__meeting__start_date__lt=date)
                | Q(commitment__statement__meeting__start_date=date, commitment__statement__position__lt=position)
            )
        latest = latest.order_by(
            F("commitment__statement__meeting__start_date").desc(),
            F("commitment__statement__position").desc(),
            F("commitment__start").desc(),
        )
        rows = Thread.objects.filter(id__in=thread_ids).annotate(
            latest_quote=Subquery(latest.values("commitment__quote")[:1]),
            latest_strength=Subquery(latest.values("commitment__strength")[:1]),
        )
        return {
            row["id"]: row
            for row in rows.values(
                "id",
                "slug",
                "title",
                "description",
                "line_of_effort__slug",
                "latest_quote",
                "latest_strength",
            )
        }

    @cached_property
    def lines(self):
        """The lines of effort: slug, name and description, in their order."""
        return list(LineOfEffort.objects.order_by("position").values("slug", "name", "description"))


def _fts5_term(word):
    # A quoted FTS5 string is a phrase of its tokens: safe whatever the word holds.
    return '"' + word.replace('"', '""') + '"'


def _pg_term(word):
    # to_tsquery reads operators: only letters and digits reach it.
    return re.sub(r"[^a-z0-9]", "", word.lower()) or "x"
