"""Pledge subjects named in words a stemmer keeps apart (ingest.concepts), as the dry run offers them.

Invented sentences only: none is in the seed or in fixtures/ingest-eval.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from ingest import concepts
from ingest.ranking import _stem
from tests.factories import (
    CommitmentFactory,
    LineOfEffortFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
)

STORED = (
    "We will keep drying up the cartel's revenue and its ready money. "
    "We will keep guarding the cartel's river crossings. "
    "We will keep choking the financial flows of smugglers."
)
NEW = "We will keep choking the cartel's financial flows."


def pledge(statement, line, phrase, summary, slug, title):
    thread = ThreadFactory(slug=slug, title=title, description="", line_of_effort=line)
    commitment = CommitmentFactory(statement=statement, phrase=phrase, summary=summary, line_of_effort=line)
    ThreadEntryFactory(thread=thread, commitment=commitment, position=1, change_kind="new")


@pytest.fixture
def two_pledges(db):
    statement = StatementFactory(text=STORED)
    # One line of effort for all: the pledges differ by their words alone.
    line = LineOfEffortFactory()
    pledge(
        statement,
        line,
        "We will keep drying up the cartel's revenue and its ready money.",
        "Dry up the cartel's revenue.",
        "income",
        "Keeping the cartel poor",
    )
    pledge(
        statement,
        line,
        "We will keep guarding the cartel's river crossings.",
        "Guard the cartel's river crossings.",
        "crossings",
        "Keeping the cartel stuck",
    )
    # In no pledge: the span's nearest commitment, which brings no pledge of its own.
    CommitmentFactory(
        statement=statement, phrase="We will keep choking the financial flows of smugglers.", line_of_effort=line
    )


def offered(tmp_path):
    path = tmp_path / "new.txt"
    path.write_text(NEW, encoding="utf-8")
    out = StringIO()
    call_command("ingest", str(path), "--dry-run", "--json", stdout=out)
    (suggestion,) = json.loads(out.getvalue())["suggestions"]
    return [item["thread"] for item in suggestion["threads"]]


def test_a_span_finds_the_pledge_of_its_subject_in_other_words(two_pledges, tmp_path):
    """The span shares "keep" and "cartel" with both pledges' commitments, and its subject, financing, with one
    ("financial" against "revenue" and "money"): that one comes first."""
    assert offered(tmp_path)[0] == "income"


def test_without_the_subject_the_pledge_sharing_a_word_wins(two_pledges, tmp_path, monkeypatch):
    """The same dry run without the subjects: what the first test owes to them."""
    monkeypatch.setattr(concepts, "CONCEPTS", {})
    concepts._keys.cache_clear()
    try:
        assert offered(tmp_path)[0] == "crossings"
    finally:
        concepts._keys.cache_clear()


def test_words_of_one_subject_share_a_key_and_other_subjects_do_not():
    def keys(*words):
        return concepts.concept_keys({_stem(word) for word in words}, _stem)

    assert keys("financial") == keys("revenue") == keys("fundraising") == keys("hawala") != set()
    assert keys("detainees") == keys("repatriation") != keys("financial")
    assert keys("funds") == keys("funding") == keys("networks") == keys("cartel") == set()
    # Every word's stem is its own group's alone: a word names one subject.
    for name, words in concepts.CONCEPTS.items():
        assert {concepts._keys(_stem)[_stem(word)] for word in words} == {f"_{name}"}
