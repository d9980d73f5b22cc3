"""Measuring suggestions on statements they were not written from: the annotated corpus, `evaluate_ingest --corpus`."""

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from ingest.evaluation import CorpusError, load_annotated, load_corpus
from tests.factories import ThreadFactory

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "ingest-eval"

TEXT = "1. We will fight. The Ministers agreed to meet.\n- Border security\nIt was done. Spain hosted the meeting.\n"

ANNOTATION = {
    "source": {
        "url": "https://example.org/statement",
        "title": "A statement",
        "publisher": "A body",
        "published": "2020-01-02",
        "kind": "statement",
        "extent": "whole",
    },
    "commitments": [
        {
            "quote": "We will fight.",
            "strength": "binding",
            "voice": "first-person",
            "actor": "we",
            "continues": ["p-a"],
        },
        {
            "quote": "The Ministers agreed to meet.",
            "strength": "binding",
            "voice": "third-person",
            "actor": "The Ministers",
            "continues": ["p-b"],
        },
        {"quote": "Border security", "strength": "binding", "voice": "numbered-pillar", "actor": "we"},
    ],
    "progress": [{"quote": "It was done."}],
    "participants": [{"quote": "Spain hosted", "member": "Spain", "role": "host"}],
    "note": "",
}


def write_corpus(directory, text=TEXT, annotation=ANNOTATION, slug="a-statement"):
    directory.mkdir(exist_ok=True)
    (directory / f"{slug}.txt").write_bytes(text.encode("utf-8"))
    dumped = yaml.safe_dump(annotation, allow_unicode=True, sort_keys=False)
    # A date as the corpus writes it (unquoted YYYY-MM-DD), not the string safe_dump makes of it.
    (directory / f"{slug}.yaml").write_text(dumped.replace("'2020-01-02'", "2020-01-02"), encoding="utf-8")
    return directory


def place(quote, **extra):
    start = TEXT.index(quote)
    return {"start": start, "end": start + len(quote), "quote": quote, **extra}


def offers(*slugs):
    return [{"thread": slug, "score": 0.5, "change_kind": "repeated"} for slug in slugs]


def stub_result(*, participations=True):
    """What the dry run is made to return for TEXT: two right spans, one progress sentence taken for a pledge."""
    result = {
        "sha256": "x",
        "suggestions": [
            place("We will fight.", threads=offers("p-a", "p-c")),
            place("The Ministers agreed to meet.", threads=offers("p-c", "p-b")),
            place("It was done.", threads=[]),
        ],
        "figures": [],
    }
    if participations:
        result["participations"] = [place("Spain hosted the meeting.", member="Spain", role="host")]
    return result


def run(*args):
    out = StringIO()
    call_command("evaluate_ingest", *map(str, args), stdout=out)
    return out.getvalue()


# --- the loader ----------------------------------------------------------------------------------


def broken(change):
    annotation = json.loads(json.dumps(ANNOTATION))
    change(annotation)
    return annotation


@pytest.mark.parametrize(
    "annotation, message",
    [
        (
            broken(lambda a: a["commitments"][0].update(quote="We shall fight.")),
            "commitments #1: the quote occurs 0 times",
        ),
        (broken(lambda a: a["progress"][0].update(quote="e")), "progress #1: the quote occurs"),
        (broken(lambda a: a["participants"][0].update(quote="Spain hosted the meeting!")), "participants #1"),
        (broken(lambda a: a.pop("progress")), "missing key 'progress'"),
        (broken(lambda a: a["source"].pop("extent")), "source: missing key 'extent'"),
        (broken(lambda a: a["commitments"][1].pop("voice")), "commitments #2: missing key 'voice'"),
        (broken(lambda a: a["commitments"][2].update(voice="second-person")), "voice 'second-person' is not one of"),
        (broken(lambda a: a["participants"][0].update(role="guest")), "role 'guest' is not one of"),
        (broken(lambda a: a["source"].update(kind="essay")), "kind 'essay' is not one of"),
    ],
)
def test_the_loader_refuses_an_annotation_naming_the_file(tmp_path, annotation, message):
    write_corpus(tmp_path, annotation=annotation)
    with pytest.raises(CorpusError) as error:
        load_corpus(tmp_path)
    assert str(error.value).startswith(str(tmp_path / "a-statement.yaml"))
    assert message in str(error.value)


def test_the_loader_refuses_a_quote_that_occurs_twice(tmp_path):
    write_corpus(tmp_path, text=TEXT + "We will fight.\n")
    with pytest.raises(CorpusError, match=r"a-statement\.yaml: commitments #1: the quote occurs 2 times"):
        load_corpus(tmp_path)


def test_the_loader_refuses_a_text_without_its_annotation_and_crlf(tmp_path):
    write_corpus(tmp_path)
    (tmp_path / "lonely.txt").write_text("We will.", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"lonely\.yaml: missing"):
        load_corpus(tmp_path)
    (tmp_path / "lonely.txt").unlink()
    write_corpus(tmp_path, text=TEXT.replace("\n", "\r\n"))
    with pytest.raises(CorpusError, match=r"a-statement\.txt: line endings must be LF"):
        load_corpus(tmp_path)


def test_the_loader_places_every_quote_at_its_offsets(tmp_path):
    (annotated,) = load_corpus(write_corpus(tmp_path))
    assert annotated.slug == "a-statement"
    for span in [*annotated.commitments, *annotated.progress, *annotated.participants]:
        assert TEXT[span.start : span.end] == span.quote
    assert [c.continues for c in annotated.commitments] == [("p-a",), ("p-b",), ()]


@pytest.mark.parametrize("split", ["dev", "test", "coalition-dev", "coalition-test", "coalition-test-2", "holdout"])
def test_every_annotation_in_the_repository_loads(split):
    """The corpus stays honest: every quote of every annotation occurs exactly once in its text."""
    directory = CORPUS / split
    paths = sorted(directory.glob("*.txt")) if directory.is_dir() else []
    if split == "dev":
        assert len(paths) >= 12
    if split == "test":
        assert len(paths) >= 10
    if split.startswith("coalition-"):
        assert len(paths) >= {"coalition-dev": 8, "coalition-test": 3, "coalition-test-2": 5}[split]
    if paths:
        corpus = load_corpus(directory)
        assert [a.slug for a in corpus] == [p.stem for p in paths]
        for annotated in corpus:
            assert annotated.commitments or annotated.progress or annotated.participants, annotated.slug
    for path in paths:
        annotated = load_annotated(path)
        assert annotated.source["url"].startswith("http"), path


def test_other_bodies_number_twenty_a_third_set_aside():
    """Issue 19: at least 20 statements of other bodies, at least a third of them in the test split."""
    dev, test = (len(list((CORPUS / split).glob("*.txt"))) for split in ("dev", "test"))
    assert dev + test >= 20
    assert test * 3 >= dev + test
    assert not {p.stem for p in (CORPUS / "dev").glob("*.txt")} & {p.stem for p in (CORPUS / "test").glob("*.txt")}


def test_the_coalition_split_follows_its_rule():
    """The Coalition's new statements, oldest first by meeting date: every third is in coalition-test."""
    dated = sorted(
        (load_annotated(path).source["published"], split)
        for split in ("coalition-dev", "coalition-test")
        for path in (CORPUS / split).glob("*.txt")
    )
    assert len(dated) >= 9
    assert [split for _, split in dated] == [
        "coalition-test" if number % 3 == 0 else "coalition-dev" for number in range(1, len(dated) + 1)
    ]
    coalition = {p.stem for split in ("coalition-dev", "coalition-test") for p in (CORPUS / split).glob("*.txt")}
    assert not coalition & {p.stem for p in (CORPUS / "holdout").glob("*.txt")}


def test_the_second_coalition_test_split_is_new():
    """coalition-test-2 holds Coalition texts in no other split and not in the seed, by address and by content."""
    others = [path for path in CORPUS.glob("*/*.txt") if path.parent.name != "coalition-test-2"]
    new = sorted((CORPUS / "coalition-test-2").glob("*.txt"))
    assert len(new) >= 5
    assert not {p.stem for p in new} & {p.stem for p in others}
    addresses = {load_annotated(path).source["url"] for path in others}
    seed_vocabulary = (CORPUS.parent / "curation" / "vocabulary.yaml").read_text(encoding="utf-8")
    seed_texts = [path.read_text(encoding="utf-8") for path in (CORPUS.parent / "curation").glob("*.yaml")]
    known = [path.read_text(encoding="utf-8") for path in others] + seed_texts
    for path in new:
        annotated = load_annotated(path)
        assert annotated.source["url"] not in addresses, path
        assert annotated.source["url"] not in seed_vocabulary, path
        for commitment in annotated.commitments:
            assert not any(commitment.quote in text for text in known), (path, commitment.quote)


# --- evaluate_ingest --corpus --------------------------------------------------------------------


def test_evaluate_corpus_counts_exactly(db, tmp_path, monkeypatch):
    for slug in ("p-a", "p-b", "p-c"):
        ThreadFactory(slug=slug)
    monkeypatch.setattr("ingest.evaluation.suggestions_for_text", lambda text: stub_result())
    write_corpus(tmp_path)
    report = json.loads(run("--corpus", tmp_path, "--json"))
    assert report["suggests_participations"] is True and report["suggests_evidence"] is False
    assert [s["statement"] for s in report["statements"]] == ["a-statement"]
    assert report["overall"]["counts"] == {
        "suggestions": 3,
        "matched_suggestions": 2,
        "curated": 3,
        "found": 2,
        "curated_first_person": 1,
        "found_first_person": 1,
        "curated_third_person": 1,
        "found_third_person": 1,
        "curated_numbered_pillar": 1,
        "found_numbered_pillar": 0,
        "pledged": 2,
        "top1": 1,
        "top3": 2,
        "participants": 1,
        "participants_found": 1,
        "participations": 1,
        "participations_matched": 1,
        "progress": 1,
        "progress_as_commitments": 1,
        "progress_as_evidence": 0,
    }
    overall = report["overall"]
    assert overall["precision"] == pytest.approx(2 / 3) and overall["recall"] == pytest.approx(2 / 3)
    assert overall["recall_numbered_pillar"] == 0 and overall["top1"] == 0.5 and overall["top3"] == 1

    table = run("--corpus", tmp_path).splitlines()
    assert "span precision" in table[0] and "numbered-pillar" in table[0] and "pledge top-1" in table[0]
    assert table[1].split()[0] == "a-statement" and table[2].split()[0] == "overall"
    assert "0.67 (2/3)" in table[2] and "0.50 (1/2)" in table[2] and "1.00 (1/1)" in table[2]
    assert "evidence: the dry run suggests no evidence; 0 of 1 progress sentences found as evidence." in table


def test_evaluate_corpus_says_when_no_participation_is_suggested(db, tmp_path, monkeypatch):
    for slug in ("p-a", "p-b"):
        ThreadFactory(slug=slug)
    monkeypatch.setattr("ingest.evaluation.suggestions_for_text", lambda text: stub_result(participations=False))
    output = run("--corpus", write_corpus(tmp_path))
    assert "participants: the dry run suggests no participation; 0 of 1 annotated participants found." in output


def test_evaluate_corpus_runs_the_real_dry_run(db, tmp_path):
    text = "We will continue to support the Government of Iraq.\n"
    annotation = {
        **ANNOTATION,
        "commitments": [
            {
                "quote": "We will continue to support the Government of Iraq.",
                "strength": "binding",
                "voice": "first-person",
                "actor": "we",
            }
        ],
        "progress": [],
        "participants": [],
    }
    report = json.loads(run("--corpus", write_corpus(tmp_path, text=text, annotation=annotation), "--json"))
    assert report["overall"]["counts"]["found"] == 1 and report["overall"]["recall_first_person"] == 1


def test_evaluate_corpus_refuses_bad_input(db, tmp_path):
    with pytest.raises(CommandError, match="not a directory"):
        run("--corpus", tmp_path / "nope")
    write_corpus(tmp_path)
    with pytest.raises(CommandError, match=r"not stored.*a-statement: p-a, p-b"):
        run("--corpus", tmp_path)
    with pytest.raises(CommandError, match="cannot be combined"):
        run("--corpus", tmp_path, "--statement", "x")


# --- evaluate_ingest --splits ----------------------------------------------------------------------


def test_splits_prints_the_leave_one_out_and_each_split_side_by_side(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr("ingest.evaluation.suggestions_for_text", lambda text: stub_result())
    annotation = broken(lambda a: [c.pop("continues", None) for c in a["commitments"]])
    write_corpus(tmp_path / "dev", annotation=annotation)
    (tmp_path / "test").mkdir()
    lines = run("--splits", "--eval-dir", tmp_path).splitlines()
    assert lines[0].split() == [
        "measure", "seed", "leave-one-out", "dev", "test", "coalition-dev", "coalition-test", "holdout"
    ]  # fmt: skip
    rows = {line[:16].strip(): line[16:].split() for line in lines[1:7]}
    assert list(rows) == [
        "span recall", "span precision", "pledge top-1", "participants P", "participants R", "progress recall"
    ]  # fmt: skip
    assert rows["span recall"][2:] == ["0.67", "(2/3)", "—", "—", "—", "—"]
    assert rows["participants R"][2:4] == ["1.00", "(1/1)"] and rows["pledge top-1"][2:4] == ["—", "(0/0)"]
    assert rows["progress recall"][:2] == ["—", "(0/0)"] and rows["progress recall"][2:4] == ["0.00", "(0/1)"]
    assert float(rows["span recall"][0]) > 0.9 and float(rows["participants R"][0]) > 0.9
    assert f"test: {tmp_path / 'test'} holds no statement." in lines
    assert f"holdout: {tmp_path / 'holdout'} is absent." in lines
    report = json.loads(run("--splits", "--eval-dir", tmp_path, "--json"))
    assert [c["name"] for c in report["columns"]] == [
        "seed leave-one-out", "dev", "test", "coalition-dev", "coalition-test", "holdout"
    ]  # fmt: skip
    assert report["columns"][1]["overall"]["counts"]["participations_matched"] == 1
    assert report["columns"][2]["overall"] is None
    with pytest.raises(CommandError, match="cannot be combined"):
        run("--splits", "--corpus", tmp_path / "dev")


def test_the_participants_are_paired_one_to_one_by_role_and_quote():
    from ingest.evaluation import AnnotatedParticipant, match_participants

    text = "We welcomed Fiji and Palau as new members. Fiji hosted the meeting."
    shared = (text.index("welcomed"), text.index(" members") + 8)
    annotated = [
        AnnotatedParticipant(*shared, text[slice(*shared)], member=name, role="new-member")
        for name in ("Fiji", "Palau")
    ]
    one = {"start": shared[0], "end": shared[1], "member": "Palau", "role": "new-member"}
    assert [(a.member, s["member"]) for a, s in match_participants(annotated, [one])] == [("Palau", "Palau")]
    wrong_role = dict(one, role="host")
    assert match_participants(annotated, [wrong_role]) == []
    both = [one, dict(one, member="Fiji")]
    assert [(a.member, s["member"]) for a, s in match_participants(annotated, both)] == [
        ("Fiji", "Fiji"), ("Palau", "Palau")
    ]  # fmt: skip
