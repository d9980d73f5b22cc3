"""The curated follow-through (fixtures/curation/follow-through.yaml) is honest about its sources.

The file is data waiting for its models: until they exist, these checks stand in for the seed
builder's. Every check is also run against a deliberately broken copy, so each one can fail.
"""

import copy
import datetime
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from core.spans import locate_quote
from core.texts import read_statement_file

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
CURATION = FIXTURES / "curation"
FOLLOW_THROUGH = CURATION / "follow-through.yaml"

SCALE = {
    "kept": 1,
    "compromise": 0,
    "in-the-works": 0,
    "stalled": -1,
    "broken": -1,
    "not-started": -1,
    "no-evidence": None,
}
UNSCORED = "no-evidence"
MONEY_STAGES = {"pledged", "committed", "paid"}
KEYS = {
    "file": {"scale", "cycles", "assessments"},
    "cycle": {"slug", "name", "from_meeting", "to_meeting"},
    "assessment": {"commitment", "cycle", "assessed_on", "verdict", "evidence", "members", "money", "note"},
    "evidence": {"statement", "quote", "self_reported", "relied_on"},
    # In the commitment's currency, as of the assessment's date, on one of the assessment's evidence quotes.
    "money": {"stage", "amount", "statement", "quote", "relied_on"},
    "member": {"member", "score", "relied_on", "statement", "quote"},
}


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tracker():
    """What the curation files define: meetings, statements (with their texts), commitments."""
    vocabulary = load(CURATION / "vocabulary.yaml")
    meetings = {m["slug"]: m for m in vocabulary["meetings"]}
    statements = {s["slug"]: s for s in vocabulary["statements"]}
    texts = {slug: read_statement_file(FIXTURES / "sources" / s["source_file"]) for slug, s in statements.items()}
    commitments = {}
    for path in CURATION.glob("*.yaml"):
        if path.name in ("vocabulary.yaml", FOLLOW_THROUGH.name):
            continue
        data = load(path)
        for item in data.get("commitments") or []:
            commitments[item["slug"]] = dict(item, meeting=statements[data["statement"]]["meeting"])
    return {"meetings": meetings, "statements": statements, "texts": texts, "commitments": commitments}


@pytest.fixture
def follow_through():
    return load(FOLLOW_THROUGH)


def unknown_keys(where, kind, item):
    if not isinstance(item, dict):
        return [f"{where}: a {kind} must be a mapping"]
    extra = sorted(set(item) - KEYS[kind])
    return [f"{where}: unknown {kind} key(s) {extra}"] if extra else []


def quote_problems(where, tracker, statement, quote):
    if statement not in tracker["statements"]:
        return [f"{where}: statement {statement!r} is not in vocabulary.yaml"]
    try:
        locate_quote(tracker["texts"][statement], quote or "")
    except ValueError as exc:
        return [f"{where}: quote {quote!r} in {statement}: {exc}"]
    return []


def date_problems(where, tracker, field, value, statement):
    """`value` is the statement's issued date where the curation gives one, else within its meeting's dates."""
    if not isinstance(value, datetime.date):
        return [f"{where}: {field} {value!r} is not a date"]
    if statement not in tracker["statements"]:
        return []
    item = tracker["statements"][statement]
    if item.get("issued_on"):
        if value != item["issued_on"]:
            return [f"{where}: {field} {value} is not {statement}'s issued date {item['issued_on']}"]
        return []
    meeting = tracker["meetings"][item["meeting"]]
    if not meeting["start_date"] <= value <= meeting["end_date"]:
        return [f"{where}: {field} {value} is outside the dates of {statement}'s meeting"]
    return []


def problems(data, tracker):  # noqa: C901 - one rule after another, as a curator reads them
    found = unknown_keys("follow-through.yaml", "file", data)
    meetings, commitments = tracker["meetings"], tracker["commitments"]

    scale = data.get("scale") or {}
    if set(scale) != set(SCALE):
        found.append(f"scale: words {sorted(scale)} are not {sorted(SCALE)}")
    for word, item in scale.items():
        if SCALE.get(word, "?") != (item or {}).get("score", "?"):
            found.append(f"scale {word}: score {(item or {}).get('score')!r} is not {SCALE.get(word)!r}")
        if not (item or {}).get("means"):
            found.append(f"scale {word}: says nothing of what it means")

    cycles = {}
    for item in data.get("cycles") or []:
        where = f"cycle {item.get('slug')}"
        found += unknown_keys(where, "cycle", item)
        if item.get("slug") in cycles:
            found.append(f"{where}: slug used twice")
        cycles[item.get("slug")] = item
        ends = [meetings.get(item.get(key)) for key in ("from_meeting", "to_meeting")]
        if None in ends:
            found.append(f"{where}: a meeting is not in vocabulary.yaml")
        elif ends[0]["start_date"] >= ends[1]["start_date"]:
            found.append(f"{where}: does not run forward in time")

    seen = set()
    for index, item in enumerate(data.get("assessments") or []):
        where = f"assessment {index + 1} ({item.get('commitment')}, {item.get('cycle')})"
        found += unknown_keys(where, "assessment", item)
        pair = (item.get("commitment"), item.get("cycle"))
        if pair in seen:
            found.append(f"{where}: the same commitment is assessed twice in one cycle")
        seen.add(pair)
        commitment = commitments.get(item.get("commitment"))
        cycle = cycles.get(item.get("cycle"))
        if commitment is None:
            found.append(f"{where}: commitment {item.get('commitment')!r} is not curated")
        if cycle is None:
            found.append(f"{where}: cycle {item.get('cycle')!r} is not defined")
        if item.get("verdict") not in SCALE:
            found.append(f"{where}: verdict {item.get('verdict')!r} is not on the scale")
        evidence = item.get("evidence") or []
        if item.get("verdict") != UNSCORED and not evidence:
            found.append(f"{where}: verdict {item.get('verdict')!r} has no evidence")
        if commitment and cycle and cycle["from_meeting"] in meetings:
            pledged = meetings[commitment["meeting"]]["start_date"]
            if meetings[cycle["from_meeting"]]["start_date"] < pledged:
                found.append(f"{where}: the cycle starts before the commitment was made")
        if cycle and cycle.get("to_meeting") in meetings and isinstance(item.get("assessed_on"), datetime.date):
            window = (meetings[cycle["from_meeting"]]["end_date"], meetings[cycle["to_meeting"]]["end_date"])
            if not window[0] < item["assessed_on"] <= window[1]:
                found.append(f"{where}: assessed_on {item['assessed_on']} is outside the cycle")
        for number, proof in enumerate(evidence, 1):
            at = f"{where} evidence {number}"
            found += unknown_keys(at, "evidence", proof)
            statement = proof.get("statement")
            found += quote_problems(at, tracker, statement, proof.get("quote"))
            if not isinstance(proof.get("self_reported"), bool):
                found.append(f"{at}: self_reported must be true or false")
            if not proof.get("relied_on"):
                found.append(f"{at}: relied_on is empty")
            found += date_problems(at, tracker, "assessed_on", item.get("assessed_on"), statement)
            if commitment and statement in tracker["statements"]:
                said = meetings[tracker["statements"][statement]["meeting"]]["start_date"]
                if said <= meetings[commitment["meeting"]]["start_date"]:
                    found.append(f"{at}: {statement} is not later than the commitment's meeting")
        for number, money in enumerate(item.get("money") or [], 1):
            at = f"{where} money {number}"
            found += unknown_keys(at, "money", money)
            if commitment and commitment.get("amount") in (None, ""):
                found.append(f"{at}: the commitment names no amount")
            if money.get("stage") not in MONEY_STAGES:
                found.append(f"{at}: stage {money.get('stage')!r} is not one of {sorted(MONEY_STAGES)}")
            if not isinstance(money.get("amount"), int | float) or money["amount"] < 0:
                found.append(f"{at}: amount {money.get('amount')!r} is not a number of at least 0")
            found += quote_problems(at, tracker, money.get("statement"), money.get("quote"))
            if (money.get("statement"), money.get("quote")) not in {
                (e.get("statement"), e.get("quote")) for e in evidence
            }:
                found.append(f"{at}: the quote is not one of the assessment's evidence quotes")
        for number, score in enumerate(item.get("members") or [], 1):
            at = f"{where} member {number}"
            found += unknown_keys(at, "member", score)
            if score.get("score") not in (-1, 0, 1) or isinstance(score.get("score"), bool):
                found.append(f"{at}: score {score.get('score')!r} is not -1, 0 or 1")
    return found


def scored_threads(data, tracker):
    """Assessments with a scored verdict, and the recurring pledges (threads) they cover."""
    scored = [a for a in data["assessments"] if a["verdict"] != UNSCORED]
    threads = {link["thread"] for a in scored for link in tracker["commitments"][a["commitment"]].get("threads") or []}
    return scored, threads


def test_the_follow_through_file_keeps_every_rule(follow_through, tracker):
    assert problems(follow_through, tracker) == []


def test_at_least_twelve_evidenced_verdicts_over_at_least_eight_recurring_pledges(follow_through, tracker):
    scored, threads = scored_threads(follow_through, tracker)
    assert len(scored) >= 12, len(scored)
    assert len(threads) >= 8, sorted(threads)


FOLLOW_THROUGH_MODELS = {
    "commitments.assessmentcycle",
    "commitments.evidence",
    "commitments.assessment",
    "commitments.assessmentevidence",
}


def test_the_follow_through_file_is_not_a_statement_file_for_the_seed(tmp_path, sources_dir):
    """build_seed reads it into the follow-through models only: the rest of the seed is what it was without it."""
    from snapshots.seed import build_seed

    without = tmp_path / "curation"
    without.mkdir()
    for path in CURATION.glob("*.yaml"):
        if path != FOLLOW_THROUGH:
            (without / path.name).write_bytes(path.read_bytes())
    seed = build_seed(CURATION, sources_dir)
    assert [r for r in seed if r["model"] not in FOLLOW_THROUGH_MODELS] == build_seed(without, sources_dir)
    assert not [r for r in build_seed(without, sources_dir) if r["model"] in FOLLOW_THROUGH_MODELS]
    assessments = [r["fields"] for r in seed if r["model"] == "commitments.assessment"]
    assert len(assessments) == 26
    assert {a["review_state"] for a in assessments} == {"approved"}


def first(data, commitment, cycle=None):
    return next(
        a for a in data["assessments"] if a["commitment"] == commitment and (cycle is None or a["cycle"] == cycle)
    )


def add_money(data, commitment="berlin-2016-un-stabilization-facilities", **changes):
    money = {
        "stage": "paid",
        "amount": 20000000000,
        "statement": "paris-2019-readout",
        "quote": "Coalition partners have raised $20 billion to stabilise",
        "relied_on": "Raised: paid out, as the readout says it.",
    }
    first(data, commitment)["money"] = [dict(money, **changes)]


def break_quote(data):
    evidence = first(data, "berlin-2016-support-iraqi-forces")["evidence"][0]
    evidence["quote"] = evidence["quote"].replace("March 23", "March 24")


def curly_to_straight(data):
    evidence = first(data, "berlin-2016-undermine-worldview")["evidence"][1]
    evidence["quote"] = evidence["quote"].replace("’", "'")


def quote_twice(data):
    first(data, "copenhagen-2020-until-job-done")["evidence"][0]["quote"] = "Daesh/ISIS"


def rome_line_break_folded(data):
    evidence = first(data, "copenhagen-2020-stabilization-support")["evidence"][0]
    evidence["quote"] = evidence["quote"].replace("\n", " ")


def evidence_from_the_same_meeting(data):
    # The Paris readout reporting on the Paris Roadmap's own pledge: not a later statement.
    evidence = first(data, "paris-2019-roadmap-united-comprehensive-approach")["evidence"][0]
    evidence.update(statement="paris-2019-readout", quote="Coalition partners have raised $20 billion")


def evidence_before_the_pledge(data):
    item = first(data, "copenhagen-2020-stabilization-support")
    item["evidence"][0].update(statement="paris-2019-readout", quote="Coalition partners have raised $20 billion")


BREAKAGES = {
    "a quote changed by one character": (break_quote, "not found"),
    "curly apostrophes straightened": (curly_to_straight, "not found"),
    "a quote that occurs more than once": (quote_twice, "occurs"),
    "the Rome capture's line breaks folded": (rome_line_break_folded, "not found"),
    "an unknown commitment": (
        lambda d: first(d, "berlin-2016-disrupt-funds").update(commitment="berlin-2016-no-such-pledge"),
        "is not curated",
    ),
    "an unknown cycle": (
        lambda d: first(d, "berlin-2016-disrupt-funds").update(cycle="berlin-2016-to-rome-2021"),
        "is not defined",
    ),
    "an unknown statement": (
        lambda d: first(d, "berlin-2016-disrupt-funds")["evidence"][0].update(statement="paris-2019-communique"),
        "is not in vocabulary.yaml",
    ),
    "a cycle naming an unknown meeting": (
        lambda d: d["cycles"][0].update(to_meeting="paris-2019-ministerial"),
        "a meeting is not in vocabulary.yaml",
    ),
    "a cycle running backwards": (
        lambda d: d["cycles"][1].update(from_meeting="rome-2021-ministerial"),
        "does not run forward",
    ),
    "a verdict off the scale": (
        lambda d: first(d, "berlin-2016-disrupt-funds").update(verdict="mostly-kept"),
        "is not on the scale",
    ),
    "a scale word scored wrongly": (lambda d: d["scale"]["stalled"].update(score=0), "scale stalled: score"),
    "no-evidence scored as -1": (lambda d: d["scale"]["no-evidence"].update(score=-1), "scale no-evidence: score"),
    "a scale word missing": (lambda d: d["scale"].pop("not-started"), "are not"),
    "a verdict without evidence": (
        lambda d: first(d, "berlin-2016-disrupt-funds").update(evidence=[]),
        "has no evidence",
    ),
    "evidence from the commitment's own meeting": (evidence_from_the_same_meeting, "is not later than"),
    "evidence from before the commitment": (evidence_before_the_pledge, "is not later than"),
    "assessed_on not the statement's date": (
        lambda d: first(d, "copenhagen-2020-next-ministerial-italy").update(assessed_on=datetime.date(2021, 6, 29)),
        "is not rome-2021-ministerial-statement's issued date",
    ),
    "assessed_on outside an undated statement's meeting": (
        lambda d: first(d, "berlin-2016-disrupt-funds").update(assessed_on=datetime.date(2019, 7, 1)),
        "outside the dates of paris-2019-readout's meeting",
    ),
    "assessed_on outside its cycle": (
        lambda d: first(d, "berlin-2016-disrupt-funds").update(cycle="copenhagen-2020-to-rome-2021"),
        "is outside the cycle",
    ),
    "a cycle starting before the commitment": (
        lambda d: first(d, "copenhagen-2020-until-job-done").update(cycle="paris-2019-to-copenhagen-2020"),
        "starts before the commitment",
    ),
    "a commitment assessed twice in one cycle": (
        lambda d: d["assessments"].append(copy.deepcopy(d["assessments"][0])),
        "assessed twice in one cycle",
    ),
    "self_reported left out": (
        lambda d: first(d, "berlin-2016-disrupt-funds")["evidence"][0].pop("self_reported"),
        "self_reported must be",
    ),
    "a misspelt key": (
        lambda d: first(d, "berlin-2016-disrupt-funds").update(verdit="kept"),
        "unknown assessment key",
    ),
    "money for a pledge that names no amount": (add_money, "names no amount"),
    "money quote not in its statement": (
        lambda d: add_money(d, quote="Coalition partners have raised $21 billion"),
        "not found",
    ),
    "money stage off the list": (lambda d: add_money(d, stage="spent"), "stage 'spent'"),
    "money amount not a number": (lambda d: add_money(d, amount="20 billion"), "not a number of at least 0"),
    "money amount negative": (lambda d: add_money(d, amount=-1), "not a number of at least 0"),
    "money on a quote that is not the assessment's evidence": (
        lambda d: add_money(d, statement="paris-2019-roadmap", quote="The Paris meeting has provided an opportunity"),
        "not one of the assessment's evidence quotes",
    ),
    "a member score off the scale": (
        lambda d: first(d, "berlin-2016-disrupt-funds").update(members=[{"member": "germany", "score": 2}]),
        "is not -1, 0 or 1",
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_each_rule_refuses_a_broken_copy(follow_through, tracker, breakage):
    change, message = BREAKAGES[breakage]
    broken = copy.deepcopy(follow_through)
    change(broken)
    found = problems(broken, tracker)
    assert any(message in problem for problem in found), found


def test_the_counts_fail_when_the_file_shrinks(follow_through, tracker):
    few = copy.deepcopy(follow_through)
    few["assessments"] = [a for a in few["assessments"] if a["cycle"] == "berlin-2016-to-paris-2019"][:5]
    scored, threads = scored_threads(few, tracker)
    assert len(scored) < 12
    assert len(threads) < 8
