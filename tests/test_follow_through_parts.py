"""Follow-through (issue 18): per-member scores of a collective pledge and money stages of a pledge with an
amount, each rule refused where it is broken, the G7/G20 Research Group percentages, what readers see,
and snapshots (round trip, restore, diff)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.follow_through import approve, record_assessment
from commitments.models import Assessment, MemberScore, MoneyStage
from tests import test_follow_through
from tests.factories import CommitmentFactory, MemberFactory, ParticipationFactory
from tests.test_follow_through import draft, empty_inline, messages_of, quote_evidence
from tests.test_snapshot import diff_command, export, records, reseal, rewrite_records

ON = datetime.date(2019, 6, 25)
# A 2016 pledge, a 2019 statement reporting on it, and the cycle between their meetings.
pledge = test_follow_through.pledge


@pytest.fixture
def members(pledge):
    """Three members that took part in the pledge's meeting, and one that only observed it."""
    commitment = pledge[0]
    meeting = commitment.statement.meeting
    took_part = [
        ParticipationFactory(meeting=meeting, member=MemberFactory(slug=slug, name=slug.title()), role=role).member
        for slug, role in (("france", "host"), ("italy", "member"), ("libya", "new-member"))
    ]
    observer = ParticipationFactory(meeting=meeting, member=MemberFactory(slug="holy-see"), role="observer").member
    return took_part, observer


def scored(commitment, cycle, evidence, scores, on=ON, by="alice", **extra):
    return draft_with(
        commitment,
        cycle,
        evidence=[(evidence, "Freed.")],
        on=on,
        by=by,
        members=[(member, score, f"{member.slug} did its part", None) for member, score in scores],
        **extra,
    )


def draft_with(commitment, cycle, verdict="kept", evidence=(), on=ON, by="alice", members=(), money=(), **extra):
    assessment = Assessment(
        commitment=commitment, cycle=cycle, assessed_on=on, verdict=verdict, assessor="Analyst", **extra
    )
    return record_assessment(assessment, evidence, drafted_by=by, members=members, money=money)


# -- member scores: refusals ----------------------------------------------------------------------------


def test_a_member_score_is_stored_with_its_assessment_and_changes_its_version(pledge, members):
    commitment, report, cycle = pledge
    (france, italy, _), _ = members
    evidence = quote_evidence(report)
    assessment = scored(commitment, cycle, evidence, [(france, 1), (italy, 0)])
    assert sorted(assessment.member_scores.values_list("member__slug", "score")) == [("france", 1), ("italy", 0)]
    before = assessment.version()
    MemberScore.objects.filter(member=italy).update(score=-1)
    assert assessment.version() != before
    assert "member_scores" in assessment.changed_since(before)


@pytest.mark.parametrize("score", [2, -2, 5])
def test_a_score_off_the_minus_one_to_one_scale_is_refused_and_nothing_is_stored(pledge, members, score):
    commitment, report, cycle = pledge
    (france, *_), _ = members
    with pytest.raises(ValidationError) as excinfo:
        scored(commitment, cycle, quote_evidence(report), [(france, score)])
    assert "score" in messages_of(excinfo)
    assert not Assessment.objects.exists() and not MemberScore.objects.exists()


def test_a_member_that_did_not_take_part_in_the_pledge_s_meeting_is_refused(pledge, members):
    commitment, report, cycle = pledge
    _, observer = members
    elsewhere = MemberFactory(slug="chad")
    ParticipationFactory(member=elsewhere, role="member")  # at another meeting
    for member in (observer, elsewhere):
        with pytest.raises(ValidationError) as excinfo:
            scored(commitment, cycle, quote_evidence(report, slug=f"e-{member.slug}"), [(member, 1)])
        assert "is not recorded as taking part" in " ".join(messages_of(excinfo)["member"])
    assert not Assessment.objects.exists()


def test_a_member_score_resting_on_evidence_the_assessment_does_not_hold_is_refused(pledge, members):
    commitment, report, cycle = pledge
    (france, *_), _ = members
    own, other = quote_evidence(report), quote_evidence(report, slug="other")
    with pytest.raises(ValidationError) as excinfo:
        draft_with(commitment, cycle, evidence=[(own, "Freed.")], members=[(france, 1, "Did it.", other)])
    assert "one of the assessment's own evidence items" in " ".join(messages_of(excinfo)["evidence"])
    assessment = draft_with(commitment, cycle, evidence=[(own, "Freed.")], members=[(france, 1, "Did it.", own)])
    assert assessment.member_scores.get().evidence == own


# -- money stages: refusals and the funding stage -----------------------------------------------------


@pytest.fixture
def priced(pledge):
    """A pledge that names an amount, made where the `pledge` fixture's was."""
    commitment, report, cycle = pledge
    priced = CommitmentFactory(
        slug="priced-pledge", statement=commitment.statement, amount=Decimal("100"), currency="USD"
    )
    return priced, report, cycle


def test_money_on_a_pledge_that_names_no_amount_is_refused(pledge):
    commitment, report, cycle = pledge
    evidence = quote_evidence(report)
    with pytest.raises(ValidationError) as excinfo:
        draft_with(commitment, cycle, evidence=[(evidence, "x")], money=[("pledged", Decimal(5), evidence, "x")])
    assert "names an amount" in " ".join(messages_of(excinfo)["funding_stage"])
    assert not Assessment.objects.exists() and not MoneyStage.objects.exists()
    # The row's own rule, as the admin's inline and a restore check it.
    assessment = draft_with(commitment, cycle, evidence=[(evidence, "x")])
    row = MoneyStage(assessment=assessment, stage="pledged", amount=Decimal(5), evidence=evidence, relied_on="x")
    with pytest.raises(ValidationError) as excinfo:
        row.full_clean()
    assert "names no amount" in " ".join(messages_of(excinfo)["stage"])


def test_a_negative_amount_is_refused(priced):
    commitment, report, cycle = priced
    evidence = quote_evidence(report)
    with pytest.raises(ValidationError) as excinfo:
        draft_with(commitment, cycle, evidence=[(evidence, "x")], money=[("paid", Decimal("-1"), evidence, "x")])
    assert "never negative" in " ".join(messages_of(excinfo)["amount"])
    assert not MoneyStage.objects.exists()


def test_each_stage_is_a_row_of_its_own_and_the_funding_stage_is_the_furthest(priced):
    commitment, report, cycle = priced
    evidence = quote_evidence(report)
    stages = [("pledged", Decimal(100), evidence, "Pledged."), ("committed", Decimal(60), evidence, "Committed.")]
    assessment = draft_with(commitment, cycle, evidence=[(evidence, "x")], money=stages)
    assessment.refresh_from_db()
    assert assessment.funding_stage == "committed"
    assert sorted(assessment.money_stages.values_list("stage", "amount")) == [
        ("committed", Decimal(60)),
        ("pledged", Decimal(100)),
    ]
    # A funding stage ahead of the stages recorded (or behind them) is refused.
    assessment.funding_stage = "paid"
    with pytest.raises(ValidationError) as excinfo:
        assessment.full_clean()
    assert "reach “Committed”" in " ".join(messages_of(excinfo)["funding_stage"])
    with pytest.raises(ValidationError):
        draft_with(
            commitment,
            cycle,
            evidence=[(evidence, "x")],
            on=datetime.date(2019, 6, 24),
            money=[("paid", Decimal(1), evidence, "a"), ("paid", Decimal(2), evidence, "b")],
        )
    assert Assessment.objects.count() == 1


# -- the G7/G20 Research Group percentages, by hand ---------------------------------------------------


def test_percentages_per_member_and_per_commitment_count_newest_approved_assessments_only(
    pledge, members, django_assert_num_queries
):
    """By hand: pledge A scores France +1, Italy 0, Libya -1; pledge B France +1, Italy 0.
    France averages +1 (100 %), Italy 0 (50 %), Libya -1 (0 %); A averages 0 (50 %), B +0.5 (75 %).
    A superseded assessment of A (France -1) and a draft of B (France -1, Italy -1) do not count."""
    commitment, report, cycle = pledge
    (france, italy, libya), _ = members
    other = CommitmentFactory(slug="pledge-b", statement=commitment.statement, phrase="We welcome the progress.")
    evidence = quote_evidence(report)
    old = scored(commitment, cycle, evidence, [(france, -1)], on=datetime.date(2019, 6, 24))
    approve(old, approved_by="bob", version=old.version())
    newer = scored(
        commitment,
        cycle,
        evidence,
        [(france, 1), (italy, 0), (libya, -1)],
        supersedes=old,
        supersede_reason="recalibrated: new material",
    )
    approve(newer, approved_by="bob", version=newer.version())
    b = scored(other, cycle, evidence, [(france, 1), (italy, 0)], on=datetime.date(2019, 6, 24))
    approve(b, approved_by="bob", version=b.version())
    scored(other, cycle, evidence, [(france, -1), (italy, -1)])  # a draft, newer: not counted

    with django_assert_num_queries(1):
        by_member = MemberScore.objects.percentages("member")
    assert [(row["slug"], row["scored"], row["average"], row["percent"]) for row in by_member] == [
        ("france", 2, 1.0, 100.0),
        ("italy", 2, 0.0, 50.0),
        ("libya", 1, -1.0, 0.0),
    ]
    with django_assert_num_queries(1):
        by_commitment = MemberScore.objects.percentages("commitment")
    assert [(row["slug"], row["percent"]) for row in by_commitment] == [(commitment.slug, 50.0), ("pledge-b", 75.0)]
    assert MemberScore.objects.percentages("member", cycle="no-such-cycle") == []


# -- money over time ----------------------------------------------------------------------------------


def test_money_over_time_never_counts_a_pledge_as_paid(priced, django_assert_num_queries):
    commitment, report, cycle = priced
    evidence = quote_evidence(report)
    first = draft_with(
        commitment,
        cycle,
        evidence=[(evidence, "x")],
        on=datetime.date(2019, 6, 24),
        money=[("pledged", Decimal(100), evidence, "Pledged.")],
    )
    approve(first, approved_by="bob", version=first.version())
    second = draft_with(
        commitment,
        cycle,
        evidence=[(evidence, "x")],
        money=[
            ("pledged", Decimal(100), evidence, "Pledged."),
            ("committed", Decimal(60), evidence, "Committed."),
            ("paid", Decimal(20), evidence, "Paid."),
        ],
    )
    approve(second, approved_by="bob", version=second.version())
    # A draft waits for review: no reader's chart shows it.
    draft_with(
        commitment,
        cycle,
        evidence=[(evidence, "x")],
        on=datetime.date(2019, 6, 23),
        money=[("paid", Decimal(100), evidence, "Paid in full.")],
    )
    with django_assert_num_queries(1):
        points = MoneyStage.objects.over_time(commitment.slug)
    assert [(p["assessed_on"], p["pledged"], p["committed"], p["paid"], p["currency"]) for p in points] == [
        (datetime.date(2019, 6, 24), Decimal(100), None, None, "USD"),
        (ON, Decimal(100), Decimal(60), Decimal(20), "USD"),
    ]


# -- the API: readers, filters, CSV, If-Match ---------------------------------------------------------


def test_readers_see_approved_scores_and_money_only_and_filter_by_member(client, priced, members, curator):
    commitment, report, cycle = priced
    (france, italy, _), _ = members
    evidence = quote_evidence(report)
    approved = draft_with(
        commitment,
        cycle,
        evidence=[(evidence, "x")],
        on=datetime.date(2019, 6, 24),
        members=[(france, 1, "Paid its share.", evidence)],
        money=[("pledged", Decimal(100), evidence, "Pledged."), ("paid", Decimal(20), evidence, "Paid.")],
    )
    approve(approved, approved_by="bob", version=approved.version())
    draft_with(commitment, cycle, evidence=[(evidence, "x")], members=[(italy, -1, "Did nothing.", None)])
    url = reverse("api:assessment-list")
    (row,) = client.get(url).json()["results"]
    assert row["member_scores"] == [
        {"member": "france", "score": 1, "relied_on": "Paid its share.", "evidence": "paris-freed"}
    ]
    assert [(m["stage"], m["amount"], m["evidence"]) for m in row["money"]] == [
        ("pledged", "100.00", "paris-freed"),
        ("paid", "20.00", "paris-freed"),
    ]
    assert [r["key"] for r in client.get(url, {"member": "france"}).json()["results"]] == [approved.key()]
    assert client.get(url, {"member": "italy"}).json()["results"] == []  # a draft's score: not for readers
    assert client.get(url, {"member": "nobody"}).status_code == 400
    client.force_login(curator)
    assert len(client.get(url, {"member": "italy"}).json()["results"]) == 1


def test_the_assessment_list_reads_scores_and_money_in_a_fixed_number_of_queries(
    client, priced, members, django_assert_num_queries
):
    commitment, report, cycle = priced
    (france, italy, libya), _ = members
    evidence = quote_evidence(report)
    url = reverse("api:assessment-list")

    def add(on, scores):
        assessment = draft_with(
            commitment,
            cycle,
            evidence=[(evidence, "x")],
            on=on,
            members=[(m, 1, "x", None) for m in scores],
            money=[("pledged", Decimal(1), evidence, "x")],
        )
        approve(assessment, approved_by="bob", version=assessment.version())

    add(datetime.date(2019, 6, 24), [france])
    with django_assert_num_queries(5) as one:
        client.get(url)
    add(ON, [france, italy, libya])
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(url).json()["results"]) == 2


@pytest.mark.parametrize("name", ["assessment", "assessmentcycle", "evidence"])
def test_every_follow_through_list_is_a_csv_file(client, pledge, members, name):
    commitment, report, cycle = pledge
    (france, *_), _ = members
    assessment = scored(commitment, cycle, quote_evidence(report), [(france, 1)])
    approve(assessment, approved_by="bob", version=assessment.version())
    response = client.get(reverse(f"api:{name}-list"), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2, lines
    assert {"assessment": "verdict", "assessmentcycle": "window", "evidence": "quote"}[name] in lines[0]
    if name == "assessment":
        assert "member_scores" in lines[0] and "france:1:france did its part:" in lines[1]


def test_an_api_write_from_a_read_before_a_member_score_changed_is_refused(curator_client, pledge, members):
    commitment, report, cycle = pledge
    (france, *_), _ = members
    assessment = scored(commitment, cycle, quote_evidence(report), [(france, 1)])
    url = reverse("api:assessment-detail", args=[assessment.key()])
    read = curator_client.get(url)
    MemberScore.objects.filter(assessment=assessment).update(score=0)  # another curator's change
    response = curator_client.patch(url, {"note": "Seen."}, content_type="application/json", HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 412
    assert "member_scores" in response.content.decode()
    assert Assessment.objects.get().note == ""


# -- the admin's stale-row guard -----------------------------------------------------------------------


def change_data(assessment, row, version, score):
    data = {
        "commitment": assessment.commitment_id,
        "assessed_on": assessment.assessed_on.isoformat(),
        "status": assessment.status,
        "funding_stage": "",
        "evidence_url": "",
        "note": "",
        "assessor": assessment.assessor,
        "cycle": assessment.cycle_id,
        "verdict": assessment.verdict,
        "supersedes": "",
        "supersede_reason": "",
        "_record_version": assessment.version(),
        **empty_inline("money_stages"),
    }
    link = assessment.evidence_links.get()
    data |= {
        "evidence_links-TOTAL_FORMS": "1",
        "evidence_links-INITIAL_FORMS": "1",
        "evidence_links-MIN_NUM_FORMS": "0",
        "evidence_links-MAX_NUM_FORMS": "1000",
        "evidence_links-0-id": link.pk,
        "evidence_links-0-assessment": assessment.pk,
        "evidence_links-0-evidence": link.evidence_id,
        "evidence_links-0-relied_on": link.relied_on,
        "evidence_links-0-_record_version": link.version(),
        "member_scores-TOTAL_FORMS": "1",
        "member_scores-INITIAL_FORMS": "1",
        "member_scores-MIN_NUM_FORMS": "0",
        "member_scores-MAX_NUM_FORMS": "1000",
        "member_scores-0-id": row.pk,
        "member_scores-0-assessment": assessment.pk,
        "member_scores-0-member": row.member_id,
        "member_scores-0-score": score,
        "member_scores-0-relied_on": row.relied_on,
        "member_scores-0-evidence": "",
        "member_scores-0-_record_version": version,
    }
    return data


def test_the_admin_refuses_a_stale_member_score_row_and_saves_a_fresh_one(client, pledge, members, curator):
    commitment, report, cycle = pledge
    (france, *_), _ = members
    assessment = scored(commitment, cycle, quote_evidence(report), [(france, 1)])
    row = assessment.member_scores.get()
    opened = row.version()
    client.force_login(curator)
    url = reverse("admin:commitments_assessment_change", args=[assessment.pk])
    assert "member_scores-0-score" in client.get(url).content.decode()
    MemberScore.objects.filter(pk=row.pk).update(score=-1)  # another curator saved meanwhile
    stale = client.post(url, change_data(assessment, row, opened, "0"))
    assert stale.status_code == 200
    assert "Someone else saved the" in stale.content.decode()
    assert MemberScore.objects.get().score == -1
    row.refresh_from_db()
    fresh = client.post(url, change_data(assessment, row, row.version(), "0"))
    assert fresh.status_code == 302, fresh.content.decode()[:2000]
    assert MemberScore.objects.get().score == 0


def test_the_admin_refuses_a_member_score_row_off_the_scale_or_for_an_absent_member(client, pledge, members, curator):
    commitment, report, cycle = pledge
    (france, *_), observer = members
    assessment = scored(commitment, cycle, quote_evidence(report), [(france, 1)])
    row = assessment.member_scores.get()
    client.force_login(curator)
    url = reverse("admin:commitments_assessment_change", args=[assessment.pk])
    refused = client.post(url, change_data(assessment, row, row.version(), "3"))
    assert refused.status_code == 200 and MemberScore.objects.get().score == 1
    data = change_data(assessment, row, row.version(), "1") | {"member_scores-0-member": observer.pk}
    refused = client.post(url, data)
    assert "is not recorded as taking part" in refused.content.decode()
    assert MemberScore.objects.get().member == france


# -- snapshots ----------------------------------------------------------------------------------------


def test_scores_and_money_round_trip_through_a_snapshot(priced, members, tmp_path):
    commitment, report, cycle = priced
    (france, *_), _ = members
    evidence = quote_evidence(report)
    draft_with(
        commitment,
        cycle,
        evidence=[(evidence, "x")],
        members=[(france, 1, "Paid.", evidence)],
        money=[("pledged", Decimal(100), evidence, "P."), ("paid", Decimal(20), evidence, "Q.")],
    )
    before = export(tmp_path / "before", "--unsigned")
    labels = [r["model"] for r in records(before)]
    assert labels.count("commitments.memberscore") == 1 and labels.count("commitments.moneystage") == 2
    call_command("snapshot", "restore", str(before), "--replace", "--no-origin-check", verbosity=0)
    assert sorted(MoneyStage.objects.values_list("stage", "amount")) == [
        ("paid", Decimal(20)),
        ("pledged", Decimal(100)),
    ]
    after = export(tmp_path / "after", "--unsigned")
    assert (after / "fixture.jsonl").read_bytes() == (before / "fixture.jsonl").read_bytes()


def test_restore_refuses_a_score_for_a_member_absent_from_the_pledge_s_meeting(pledge, members, tmp_path):
    commitment, report, cycle = pledge
    (france, *_), _ = members
    scored(commitment, cycle, quote_evidence(report), [(france, 1)])
    path = export(tmp_path / "snap", "--unsigned")

    def elsewhere(record):
        if record["model"] == "commitments.memberscore":
            record["fields"]["member"] = ["holy-see"]
        return record

    rewrite_records(path, elsewhere)
    reseal(path)
    with pytest.raises(CommandError, match="is not recorded as taking part"):
        call_command("snapshot", "restore", str(path), "--replace", "--no-origin-check", verbosity=0)
    assert MemberScore.objects.get().member == france


def test_a_restore_reads_the_rules_inputs_of_any_number_of_assessments_in_the_same_queries(pledge, members, tmp_path):
    """Each assessment's rules, its member scores' and its money stages' read their rows for all of them at
    once (`Assessment.objects.with_rule_inputs()`), never one assessment at a time: a snapshot of three
    assessed pledges restores in as many queries as one of one; both are refused nothing."""
    commitment, report, cycle = pledge
    (france, italy, _), _ = members

    def assessed(index):
        priced = CommitmentFactory(
            slug=f"priced-{index}", statement=commitment.statement, amount=Decimal("100"), currency="USD"
        )
        evidence = quote_evidence(report, slug=f"freed-{index}")
        draft_with(
            priced,
            cycle,
            evidence=[(evidence, "Freed.")],
            members=[(france, 1, "Paid.", evidence), (italy, 0, "Some.", None)],
            money=[("pledged", Decimal(100), evidence, "P."), ("paid", Decimal(20), evidence, "Q.")],
            funding_stage="paid",
        )

    def restored(path):
        with CaptureQueriesContext(connection) as queries:
            call_command("snapshot", "restore", str(path), "--replace", "--no-origin-check", verbosity=0)
        return len(queries)

    assessed(1)
    one = export(tmp_path / "one", "--unsigned")
    assessed(2)
    assessed(3)
    three = export(tmp_path / "three", "--unsigned")
    assert [r["model"] for r in records(three)].count("commitments.memberscore") == 6
    assert restored(three) == restored(one)
    assert MemberScore.objects.count() == 2 and MoneyStage.objects.count() == 2


def test_diff_says_which_verdicts_were_added_superseded_and_changed(pledge, tmp_path):
    commitment, report, cycle = pledge
    evidence = quote_evidence(report)
    first = draft(commitment, cycle, evidence=[(evidence, "x")], on=datetime.date(2019, 6, 24))
    before = export(tmp_path / "before", "--unsigned")
    draft(
        commitment,
        cycle,
        verdict="compromise",
        evidence=[(evidence, "x")],
        supersedes=first,
        supersede_reason="recalibrated: new material",
    )
    Assessment.objects.filter(pk=first.pk).update(verdict="in-the-works")
    after = export(tmp_path / "after", "--unsigned")
    out, status = diff_command(before, after)
    assert status == 1
    lines = out.splitlines()
    verdicts = lines[lines.index("verdicts:") + 1 : lines.index("verdicts:") + 3]
    assert verdicts == [
        f"    {commitment.slug}@2019-06-24: verdict changed in place, kept -> in-the-works",
        f"    {commitment.slug}@2019-06-25: added, verdict compromise, supersedes {commitment.slug}@2019-06-24 "
        "(recalibrated: new material)",
    ]
    assert json.loads(diff_command(before, after, "--json")[0])["verdicts"] == [line.strip() for line in verdicts]


# -- the demo generator's part -------------------------------------------------------------------------


def test_the_demo_scores_members_and_stages_money_through_the_rules(priced, members):
    from demo.follow_through_parts import add_member_scores_and_money

    commitment, report, cycle = priced
    (france, italy, libya), _ = members
    evidence = quote_evidence(report)
    assessment = draft_with(commitment, cycle, evidence=[(evidence, "x")])
    draft_with(commitment, cycle, evidence=[(evidence, "x")], on=datetime.date(2019, 6, 24))  # a draft: left alone
    approve(assessment, approved_by="bob", version=assessment.version())
    assert add_member_scores_and_money(Assessment.objects.all()) == {
        "commitments.memberscore": 3,
        "commitments.moneystage": 3,
    }
    assessment.refresh_from_db()
    assert sorted(assessment.member_scores.values_list("member__slug", flat=True)) == ["france", "italy", "libya"]
    assert assessment.funding_stage == "paid"
    assert [(p["pledged"], p["committed"], p["paid"]) for p in MoneyStage.objects.over_time(commitment.slug)] == [
        (Decimal("100.00"), Decimal("90.00"), Decimal("63.00"))
    ]
    for row in [*MemberScore.objects.all(), *MoneyStage.objects.all()]:
        row.full_clean()
    assessment.full_clean()


# -- the seed builder ----------------------------------------------------------------------------------


def curation_with(tmp_path, change):
    """A copy of the curation files with follow-through.yaml's first assessment changed by `change`."""
    import shutil

    import yaml
    from django.conf import settings

    copy = tmp_path / "curation"
    shutil.copytree(settings.BASE_DIR / "fixtures" / "curation", copy)
    path = copy / "follow-through.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["assessments"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def test_the_seed_builder_reads_member_scores_through_the_rules(tmp_path, sources_dir):
    from snapshots.seed import SeedError, build_seed

    def score(item, member="germany", value=1):
        item["members"] = [{"member": member, "score": value, "relied_on": "The host reported its part."}]

    records = build_seed(curation_with(tmp_path / "ok", score), sources_dir)
    (row,) = [r["fields"] for r in records if r["model"] == "commitments.memberscore"]
    assert row == {
        "assessment": ["berlin-2016-un-stabilization-facilities", "2019-06-25"],
        "member": ["germany"],
        "score": 1,
        "relied_on": "The host reported its part.",
        "evidence": None,
    }
    with pytest.raises(SeedError) as excinfo:
        build_seed(curation_with(tmp_path / "absent", lambda i: score(i, member="france", value=2)), sources_dir)
    problems = "\n".join(excinfo.value.problems)
    assert "'france' is not recorded as taking part in berlin-2016-small-group" in problems
    assert "score 2 is not -1, 0 or 1" in problems


def test_the_seed_builder_refuses_money_on_a_pledge_that_names_no_amount(tmp_path, sources_dir):
    from snapshots.seed import SeedError, build_seed

    def money(item):
        proof = item["evidence"][0]
        item["money"] = [
            {"stage": "paid", "amount": -5, "statement": proof["statement"], "quote": proof["quote"], "relied_on": "x"}
        ]

    with pytest.raises(SeedError) as excinfo:
        build_seed(curation_with(tmp_path, money), sources_dir)
    problems = "\n".join(excinfo.value.problems)
    assert "berlin-2016-un-stabilization-facilities names no amount" in problems
    assert "amount -5 is not a number of at least 0" in problems
