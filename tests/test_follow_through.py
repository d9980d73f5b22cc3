"""Follow-through (issue 18): evidence, cycles, verdicts and review, each rule refused where it is broken."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from commitments.follow_through import approve, record_assessment
from commitments.models import Assessment, AssessmentCycle, AssessmentEvidence, Evidence, ReviewState, Verdict
from core.exceptions import ConcurrentChange
from snapshots.verify import verify_snapshot
from tests.factories import CommitmentFactory, MeetingFactory, StatementFactory, span_of
from tests.test_snapshot import export, reseal, rewrite_records

REPORT = "More than 7.7 million people have been freed."


@pytest.fixture
def pledge(db):
    """A 2016 pledge, a 2019 statement reporting on it, and the cycle between their meetings."""
    made = MeetingFactory(slug="berlin", start_date=datetime.date(2016, 11, 17), end_date=datetime.date(2016, 11, 17))
    later = MeetingFactory(slug="paris", start_date=datetime.date(2019, 6, 24), end_date=datetime.date(2019, 6, 25))
    commitment = CommitmentFactory(slug="berlin-pledge", statement=StatementFactory(slug="berlin-text", meeting=made))
    report = StatementFactory(slug="paris-text", meeting=later)
    cycle = AssessmentCycle.objects.create(
        slug="berlin-to-paris", name="Berlin → Paris", from_meeting=made, to_meeting=later
    )
    return commitment, report, cycle


def quote_evidence(statement, phrase=REPORT, slug="paris-freed", **extra):
    start, end = span_of(phrase)
    evidence = Evidence(slug=slug, statement=statement, start=start, end=end, quote=phrase, **extra)
    evidence.full_clean()
    evidence.save()
    return evidence


def draft(commitment, cycle, verdict=Verdict.KEPT, evidence=(), on=datetime.date(2019, 6, 25), by="alice", **extra):
    assessment = Assessment(
        commitment=commitment, cycle=cycle, assessed_on=on, verdict=verdict, assessor="Analyst", **extra
    )
    return record_assessment(assessment, evidence, drafted_by=by)


def messages_of(excinfo):
    return excinfo.value.message_dict


def test_a_verdict_with_evidence_is_stored_as_a_draft_with_its_score_and_status(pledge):
    commitment, report, cycle = pledge
    evidence = quote_evidence(report, self_reported=True)
    assessment = draft(commitment, cycle, evidence=[(evidence, "People freed: the campaign succeeded.")])
    assessment.refresh_from_db()
    assert (assessment.review_state, assessment.drafted_by, assessment.score, assessment.status) == (
        "draft",
        "alice",
        1,
        "kept",
    )
    assert [(link.evidence.slug, link.relied_on) for link in assessment.evidence_links.all()] == [
        ("paris-freed", "People freed: the campaign succeeded.")
    ]


@pytest.mark.parametrize("verdict", [v for v in Verdict.values if v not in ("no-evidence", "not-assessed")])
def test_a_verdict_without_evidence_is_refused_and_nothing_is_stored(pledge, verdict):
    commitment, _, cycle = pledge
    with pytest.raises(ValidationError) as excinfo:
        draft(commitment, cycle, verdict=verdict)
    assert "needs at least one evidence item" in " ".join(messages_of(excinfo)["verdict"])
    assert not Assessment.objects.exists()


def test_no_evidence_available_stands_without_evidence_and_is_not_scored(pledge):
    commitment, _, cycle = pledge
    assessment = draft(commitment, cycle, verdict=Verdict.NO_EVIDENCE)
    assert assessment.score is None
    assert Assessment.objects.get().verdict == "no-evidence"


def test_evidence_whose_quote_is_not_in_its_statement_is_refused(pledge):
    _, report, _ = pledge
    with pytest.raises(ValidationError) as excinfo:
        Evidence(slug="bad", statement=report, start=0, end=10, quote="Not there.").full_clean()
    assert "quote" in messages_of(excinfo) or "start" in messages_of(excinfo)


def test_evidence_is_a_quote_or_an_outside_source_never_both_nor_neither(pledge):
    _, report, _ = pledge
    start, end = span_of(REPORT)
    both = Evidence(
        slug="both", statement=report, start=start, end=end, quote=REPORT, url="https://example.org/r", passage="x"
    )
    with pytest.raises(ValidationError, match="not both"):
        both.full_clean()
    with pytest.raises(ValidationError, match="Give either a quote"):
        Evidence(slug="neither").full_clean()
    with pytest.raises(ValidationError) as excinfo:
        Evidence(slug="half", url="https://example.org/r", title="Report").full_clean()
    assert {"publisher", "published_on", "passage"} <= set(messages_of(excinfo))
    # The database holds the rule too, for a write that skips validation.
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(slug="neither")


def test_an_outside_source_is_evidence_with_its_address_publisher_date_and_passage(pledge):
    commitment, _, cycle = pledge
    outside = Evidence(
        slug="un-report",
        url="https://example.org/report",
        title="Progress report",
        publisher="UNDP",
        published_on=datetime.date(2019, 3, 1),
        passage="The facility completed 3,000 projects.",
    )
    outside.full_clean()
    outside.save()
    assessment = draft(commitment, cycle, verdict=Verdict.COMPROMISE, evidence=[(outside, "Projects done.")])
    assert assessment.score == 0 and not outside.self_reported


def test_evidence_from_the_pledge_s_own_meeting_or_before_it_is_refused(pledge):
    commitment, _, cycle = pledge
    same = quote_evidence(commitment.statement, slug="same-meeting")
    with pytest.raises(ValidationError) as excinfo:
        draft(commitment, cycle, evidence=[(same, "Its own meeting.")])
    assert "from a meeting after the one the pledge was made at" in " ".join(messages_of(excinfo)["evidence"])
    earlier = StatementFactory(
        slug="older", meeting=MeetingFactory(start_date=datetime.date(2015, 1, 1), end_date=datetime.date(2015, 1, 1))
    )
    with pytest.raises(ValidationError):
        draft(commitment, cycle, evidence=[(quote_evidence(earlier, slug="older-quote"), "Before.")])
    assert not Assessment.objects.exists()


def test_an_assessment_dated_outside_its_cycle_is_refused(pledge):
    commitment, report, cycle = pledge
    evidence = quote_evidence(report)
    with pytest.raises(ValidationError) as excinfo:
        draft(commitment, cycle, evidence=[(evidence, "x")], on=datetime.date(2019, 7, 1))
    assert "outside the cycle" in " ".join(messages_of(excinfo)["assessed_on"])
    assert not Assessment.objects.exists()


def test_evidence_without_what_it_is_relied_on_for_is_refused(pledge):
    commitment, report, cycle = pledge
    with pytest.raises(ValidationError) as excinfo:
        draft(commitment, cycle, evidence=[(quote_evidence(report), "  ")])
    assert "relied on" in " ".join(messages_of(excinfo)["evidence"])


def test_a_draft_is_approved_by_another_curator_never_by_its_drafter(pledge):
    commitment, report, cycle = pledge
    assessment = draft(commitment, cycle, evidence=[(quote_evidence(report), "x")])
    with pytest.raises(ValidationError) as excinfo:
        approve(assessment, approved_by="alice", version=assessment.version())
    assert "approved_by" in messages_of(excinfo)
    assert Assessment.objects.get().review_state == ReviewState.DRAFT
    approve(assessment, approved_by="bob", version=assessment.version())
    stored = Assessment.objects.get()
    assert (stored.review_state, stored.approved_by) == ("approved", "bob")
    # The database refuses a self-approval written around the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=stored.pk).update(approved_by="alice")


def test_approving_a_draft_changed_since_it_was_read_is_refused(pledge):
    commitment, report, cycle = pledge
    assessment = draft(commitment, cycle, evidence=[(quote_evidence(report), "x")])
    seen = assessment.version()
    AssessmentEvidence.objects.filter(assessment=assessment).update(relied_on="Changed by someone else.")
    with pytest.raises(ConcurrentChange, match="changed since you read it"):
        approve(assessment, approved_by="bob", version=seen)
    assert Assessment.objects.get().review_state == ReviewState.DRAFT


def test_a_second_approval_finds_it_approved_already(pledge):
    commitment, report, cycle = pledge
    assessment = draft(commitment, cycle, evidence=[(quote_evidence(report), "x")])
    seen = assessment.version()
    approve(Assessment.objects.get(), approved_by="bob", version=seen)
    with pytest.raises(ConcurrentChange, match="approved meanwhile"):
        approve(Assessment.objects.get(), approved_by="carol", version=seen)
    assert Assessment.objects.get().approved_by == "bob"


def test_a_newer_assessment_supersedes_with_a_reason_and_both_stay(pledge):
    commitment, report, cycle = pledge
    evidence = quote_evidence(report)
    first = draft(commitment, cycle, verdict=Verdict.COMPROMISE, evidence=[(evidence, "x")])
    with pytest.raises(ValidationError) as excinfo:
        draft(commitment, cycle, evidence=[(evidence, "y")], on=datetime.date(2019, 6, 24), supersedes=first)
    assert {"supersedes", "supersede_reason"} <= set(messages_of(excinfo))
    later = draft(
        commitment,
        None,
        evidence=[(evidence, "y")],
        on=datetime.date(2020, 1, 1),
        supersedes=first,
        supersede_reason="recalibrated: new material",
    )
    assert list(Assessment.objects.order_by("assessed_on").values_list("verdict", flat=True)) == ["compromise", "kept"]
    assert list(first.superseded_by.all()) == [later]


def test_the_api_shows_readers_approved_assessments_only_with_verdict_score_and_evidence(client, pledge, curator):
    commitment, report, cycle = pledge
    assessment = draft(commitment, cycle, evidence=[(quote_evidence(report, self_reported=True), "Freed.")])
    url = reverse("api:assessment-list")
    assert client.get(url).json()["results"] == []
    client.force_login(curator)
    assert [row["review_state"] for row in client.get(url).json()["results"]] == ["draft"]
    client.logout()
    approve(assessment, approved_by="bob", version=assessment.version())
    (row,) = client.get(url, {"cycle": "berlin-to-paris", "verdict": "kept"}).json()["results"]
    assert (row["verdict"], row["score"], row["cycle"], row["review_state"]) == (
        "kept",
        1,
        "berlin-to-paris",
        "approved",
    )
    assert row["evidence"][0]["relied_on"] == "Freed."
    assert row["evidence"][0]["evidence"]["quote"] == REPORT
    assert row["evidence"][0]["evidence"]["self_reported"] is True
    assert client.get(url, {"verdict": "broken"}).json()["results"] == []
    cycles = client.get(reverse("api:assessmentcycle-list")).json()["results"]
    assert [(c["slug"], c["window"]) for c in cycles] == [("berlin-to-paris", ["2016-11-17", "2019-06-25"])]
    evidence = client.get(reverse("api:evidence-detail", args=["paris-freed"])).json()
    assert evidence["statement"] == "paris-text"


def test_the_api_refuses_a_verdict_without_evidence(pledge, curator_client):
    commitment, _, cycle = pledge
    response = curator_client.post(
        reverse("api:assessment-list"),
        {
            "commitment": commitment.slug,
            "assessed_on": "2019-06-25",
            "cycle": cycle.slug,
            "verdict": "kept",
            "assessor": "Analyst",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "verdict" in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_admin_lists_drafts_waiting_for_review_and_refuses_self_approval(client, pledge, curator):
    commitment, report, cycle = pledge
    assessment = draft(commitment, cycle, evidence=[(quote_evidence(report), "x")], by=curator.username)
    client.force_login(curator)
    url = reverse("admin:commitments_assessment_changelist")
    assert commitment.slug in client.get(url, {"review": "waiting"}).content.decode()
    response = client.post(url, {"action": "approve_selected", "_selected_action": [assessment.pk]}, follow=True)
    assert "not approved" in response.content.decode()
    assert Assessment.objects.get().review_state == ReviewState.DRAFT
    assert commitment.slug not in client.get(url, {"review": "approved"}).content.decode()


def test_snapshot_verify_rechecks_every_evidence_quote(pledge, tmp_path):
    commitment, report, cycle = pledge
    draft(commitment, cycle, evidence=[(quote_evidence(report), "x")])
    path = export(tmp_path / "snap")
    assert verify_snapshot(path).ok

    def broken(record):
        if record["model"] == "commitments.evidence":
            record["fields"]["quote"] = "More than 9.9 million people have been freed."
        return record

    rewrite_records(path, broken)
    reseal(path)
    result = verify_snapshot(path, check_origin=False)
    assert any("commitments.evidence paris-freed: quote is not the statement text" in f for f in result.failures)


def test_restore_refuses_a_verdict_whose_evidence_rows_were_taken_out(pledge, tmp_path):
    commitment, report, cycle = pledge
    draft(commitment, cycle, evidence=[(quote_evidence(report), "x")])
    path = export(tmp_path / "snap", "--unsigned")
    rewrite_records(path, lambda r: None if r["model"] == "commitments.assessmentevidence" else r)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    reseal(path, counts={**manifest["counts"], "commitments.assessmentevidence": 0})
    Assessment.objects.all().delete()
    Evidence.objects.all().delete()
    with pytest.raises(CommandError, match="needs at least one evidence item"):
        call_command("snapshot", "restore", str(path), "--replace", "--no-origin-check", verbosity=0)
    assert not Assessment.objects.exists()


def test_the_seed_holds_approved_assessments_with_evidence_that_readers_see(seeded, client):
    rows = []
    url = reverse("api:assessment-list")
    while url:
        page = client.get(url).json()
        rows += page["results"]
        url = page["next"]
    assert len(rows) == 26
    assert {row["review_state"] for row in rows} == {"approved"}
    assert len({row["commitment"] for row in rows}) >= 8
    assert all(row["evidence"] for row in rows if row["verdict"] != "no-evidence")
    assert all(e["evidence"]["self_reported"] for row in rows for e in row["evidence"])
    kept = next(row for row in rows if row["commitment"] == "berlin-2016-support-iraqi-forces")
    assert (kept["verdict"], kept["score"], kept["cycle"], kept["status"]) == (
        "kept",
        1,
        "berlin-2016-to-paris-2019",
        "kept",
    )


def empty_inline(prefix):
    """An inline's management form with no rows."""
    return {f"{prefix}-{name}": value for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))} | {
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def admin_add_data(commitment, cycle, evidence=None, verdict="kept"):
    data = {
        "commitment": commitment.pk,
        "assessed_on": "2019-06-25",
        "status": "not-assessed",
        "funding_stage": "",
        "evidence_url": "",
        "note": "",
        "assessor": "Analyst",
        "cycle": cycle.pk,
        "verdict": verdict,
        "supersedes": "",
        "supersede_reason": "",
        "evidence_links-TOTAL_FORMS": "1" if evidence else "0",
        "evidence_links-INITIAL_FORMS": "0",
        "evidence_links-MIN_NUM_FORMS": "0",
        "evidence_links-MAX_NUM_FORMS": "1000",
        **empty_inline("member_scores"),
        **empty_inline("money_stages"),
    }
    if evidence:
        data |= {"evidence_links-0-evidence": evidence.pk, "evidence_links-0-relied_on": "Freed."}
    return data


def test_the_admin_adds_a_draft_with_its_evidence_rows_and_refuses_a_verdict_without(client, pledge, curator):
    commitment, report, cycle = pledge
    client.force_login(curator)
    url = reverse("admin:commitments_assessment_add")
    refused = client.post(url, admin_add_data(commitment, cycle))
    assert refused.status_code == 200
    assert "needs at least one evidence item" in refused.content.decode()
    assert not Assessment.objects.exists()
    evidence = quote_evidence(report)
    response = client.post(url, admin_add_data(commitment, cycle, evidence))
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = Assessment.objects.get()
    assert (stored.review_state, stored.drafted_by, stored.verdict) == ("draft", "curator", "kept")
    assert [link.evidence.slug for link in stored.evidence_links.all()] == ["paris-freed"]


def test_a_draft_is_never_a_commitments_status_for_readers(db, client):
    """A draft waits for review: the public pages, the API's latest_status and its status filter read approved ones."""
    from commitments.choices import ImplementationStatus, ReviewState
    from tests.factories import AssessmentFactory, CommitmentFactory, ThreadEntryFactory, ThreadFactory

    commitment = CommitmentFactory()
    thread = ThreadFactory()
    ThreadEntryFactory(thread=thread, commitment=commitment, position=1, change_kind="new")
    AssessmentFactory(
        commitment=commitment,
        assessed_on=datetime.date(2020, 1, 1),
        status=ImplementationStatus.IN_PROGRESS,
        review_state=ReviewState.DRAFT,
        drafted_by="curator-a",
    )
    for page in (f"/pledges/{thread.slug}/", f"/commitments/{commitment.slug}/"):
        assert "Not yet assessed" in client.get(page).content.decode(), page
    row = client.get("/api/v1/commitments/", {"page_size": 500}).json()["results"][0]
    assert row["latest_status"] == ImplementationStatus.NOT_ASSESSED
    assert client.get("/api/v1/commitments/", {"status": ImplementationStatus.IN_PROGRESS}).json()["results"] == []
    assert Assessment.objects.latest_of([commitment.pk]) == {}

    AssessmentFactory(commitment=commitment, assessed_on=datetime.date(2019, 1, 1), status=ImplementationStatus.KEPT)
    assert client.get("/api/v1/commitments/").json()["results"][0]["latest_status"] == ImplementationStatus.KEPT
    assert "Not yet assessed" not in client.get(f"/commitments/{commitment.slug}/").content.decode()
