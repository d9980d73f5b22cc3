"""Search that understands the record: stems, both spellings, words anywhere, lines of effort, the curated
synonyms; through the full-text indexes, the same on SQLite and PostgreSQL (run this file on both)."""

import re

import pytest
import yaml
from django.db import connection

from commitments import search
from commitments.models import Commitment, Thread
from meetings.models import Statement
from tests.factories import CommitmentFactory, LineOfEffortFactory, StatementFactory


def found(text):
    """(pledge slugs, commitment slugs) the search finds."""
    return (
        set(Thread.objects.search(text).values_list("slug", flat=True)),
        set(Commitment.objects.search(text).values_list("slug", flat=True)),
    )


# -- the synonyms file, reviewed --------------------------------------------------------------------


def test_the_synonyms_file_is_a_short_list_of_groups_each_term_in_one_group():
    data = yaml.safe_load(search.SYNONYMS_FILE.read_text(encoding="utf-8"))
    groups = data["groups"]
    assert 0 < len(groups) <= 30
    terms = [search.words(str(term)) for group in groups for term in group]
    assert all(len(group) >= 2 for group in groups)
    assert all(terms), "every term has a word"
    keys = [tuple(search.key(w) for w in term) for term in terms]
    assert len(keys) == len(set(keys)), "a term (as the search reads it) in two groups, or twice"


def test_every_synonym_group_names_something_the_record_says(seeded):
    """Each group is the record's own: at least one of its terms is in the seed's statements."""
    said = " ".join(" ".join(search.words(text)) for text in Statement.objects.values_list("text", flat=True))
    for group in search.synonym_groups():
        assert any(re.search(rf"\b{' '.join(term)}\b", said) for term in group), group


# -- the three queries the issue found failing ----------------------------------------------------


def test_foreign_fighters_finds_the_foreign_terrorist_fighter_pledges_and_commitments(seeded):
    pledges, commitments = found("foreign fighters")
    assert "ftf-information-sharing" in pledges
    # Every commitment whose quote says "foreign terrorist fighters" or "FTF", none that says neither
    # (or is filed under the foreign-fighters line).
    quoting = {
        c.slug
        for c in Commitment.objects.select_related("line_of_effort")
        if re.search(r"foreign terrorist fighters|\bFTFs?\b", c.quote + " " + c.summary, re.I)
        or c.line_of_effort.slug == "ftf-information-sharing"
    }
    assert quoting and commitments == quoting
    # The abbreviation finds the same, and so does the full name.
    assert found("FTF") == found("foreign terrorist fighters") == (pledges, commitments)


def test_detainees_finds_the_detainees_line_of_effort_and_its_pledges(seeded):
    pledges, commitments = found("detainees")
    line = set(Thread.objects.filter(line_of_effort__slug="detainees-justice").values_list("slug", flat=True))
    assert line and line <= pledges
    filed = set(Commitment.objects.filter(line_of_effort__slug="detainees-justice").values_list("slug", flat=True))
    assert filed and filed <= commitments
    # The stem: "detainee" finds as much.
    assert found("detainee") == (pledges, commitments)


def test_both_spellings_find_the_same(seeded):
    british, american = found("stabilisation"), found("stabilization")
    assert british == american
    pledges, commitments = american
    assert {"stabilization-funding", "syria-stabilization"} <= pledges
    spelled = {c.slug for c in Commitment.objects.all() if re.search(r"stabili[sz]", c.quote + c.summary, re.I)}
    assert spelled and spelled <= commitments
    assert found("organisation") == found("organization") != (set(), set())


def test_words_are_found_anywhere_in_any_order_and_every_word_must_be_there(seeded):
    anywhere = found("fighters foreign")[1]
    assert anywhere == found("foreign fighters")[1]
    both = found("INTERPOL travel")[1]
    assert both and both == {
        c.slug for c in Commitment.objects.all() if "interpol" in c.quote.lower() and "travel" in c.quote.lower()
    } | {
        c.slug
        for c in Commitment.objects.filter(line_of_effort__name__icontains="travel")
        if "interpol" in c.quote.lower()
    }
    assert found("INTERPOL zqxjv") == (set(), set())
    # Words that say nothing alone are left out; nothing but them finds nothing.
    assert found("the INTERPOL") == found("INTERPOL")
    assert found("the of and") == (set(), set())


def test_daesh_and_its_other_names_find_the_same(seeded):
    daesh = found("Daesh")
    assert daesh == found("ISIS") == found("Da'esh") == found("ISIL")
    assert len(daesh[1]) > 20


def test_a_line_of_effort_is_found_by_its_name_even_where_no_quote_says_it(db):
    line = LineOfEffortFactory(name="Detainees, justice and accountability")
    statement = StatementFactory(text="We will repatriate our nationals held in camps.")
    quiet = CommitmentFactory(statement=statement, line_of_effort=line, summary="", phrase="We will repatriate")
    other = CommitmentFactory(statement=statement, summary="", phrase="held in camps")
    assert set(Commitment.objects.search("detainees")) == {quiet}
    assert set(Commitment.objects.search("accountability camps")) == set()
    assert set(Commitment.objects.search("justice repatriate")) == {quiet}
    assert other not in Commitment.objects.search("justice")


def test_search_reads_the_index_in_one_query_whatever_the_words(seeded, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert list(Commitment.objects.search("foreign fighters Daesh").values_list("pk", flat=True))
    with django_assert_num_queries(1):
        list(Thread.objects.search("detainees").values_list("pk", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_on_postgresql_the_search_reads_the_gin_index(seeded):
    queryset = Commitment.objects.search("detainees").values("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "commitments_commitment_search_document" in plan
    assert "to_tsvector" not in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
def test_on_sqlite_pledges_are_found_from_their_matching_commitments_entries_outwards(seeded):
    # Begun at the published statements (their `draft` index), SQLite sought every match in each: 14 s at 100k.
    sql, params = Thread.objects.search("support liberated").values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [row[-1] for row in cursor.fetchall()]
    assert not any(step.startswith("SEARCH statement USING INDEX") for step in plan), plan
    assert any(step.startswith("SEARCH entry USING INDEX") for step in plan), plan


def test_the_matched_words_are_marked_whatever_their_spelling():
    concepts = search.parse("stabilisation FTF")
    text = "Stabilization of areas freed from foreign terrorist fighters (FTFs)."
    marked = [text[m.start : m.end] for m in search.marked_spans(text, concepts)]
    assert marked == ["Stabilization", "foreign", "terrorist", "fighters", "FTFs"]


# The same answers on SQLite and PostgreSQL: (pledges, commitments) found on the seed, pinned for both.
SEED_COUNTS = {
    "foreign fighters": (2, 9),
    "detainees": (1, 6),
    "stabilisation": (7, 31),
    "stabilization": (7, 31),
    "Daesh": (17, 80),
    "INTERPOL": (1, 3),
    "organisation": (3, 3),
    "humanitarian assistance": (2, 6),
    "Türkiye": (0, 1),
    "UN Security Council": (6, 26),
    "women": (1, 2),
    "financing": (2, 5),
    "reaffirm": (4, 8),
    "Da'esh fighters": (1, 5),
    "liberated areas": (4, 7),
    "Africa": (2, 18),
    "FTF": (2, 9),
}


@pytest.mark.parametrize("text", sorted(SEED_COUNTS))
def test_the_seed_gives_the_same_counts_on_either_database(seeded, text):
    pledges, commitments = found(text)
    assert (len(pledges), len(commitments)) == SEED_COUNTS[text]


@pytest.mark.parametrize(
    "text",
    ["AND OR NOT NEAR", "\"'; DROP TABLE x; --", "中文 字", "straße ǅ ½", "x" * 300, "a b c d e f g h i j k l m n o"],
)
def test_any_text_is_searched_as_words_never_as_the_index_s_syntax(seeded, text):
    # FTS5 and to_tsquery read operators; a reader's text reaches them as quoted words only.
    assert list(Commitment.objects.search(text)) == []
    assert list(Thread.objects.search(text)) == []


def test_a_synonym_of_several_words_is_marked_only_where_its_words_stand_together():
    concepts = search.parse("FTF")
    assert search.marked_spans("to prevent terrorist attacks by fighters", concepts) == []
    text = "FTF, or foreign terrorist fighters"
    assert [text[m.start : m.end] for m in search.marked_spans(text, concepts)] == [
        "FTF",
        "foreign",
        "terrorist",
        "fighters",
    ]


def test_a_long_query_is_cut_to_its_first_concepts():
    concepts = search.parse("one two three four five six seven eight nine ten")
    assert [c.said for c in concepts] == ["one", "two", "three", "four", "five", "six", "seven", "eight"]
    assert len(concepts) == search.MOST_CONCEPTS
