"""A commitment's stored latest status (`Commitment.latest_status`) equals the one worked out from its
assessments after every write path: the services, the admin, the API, an import, a snapshot restored,
the seed loaded, the demo generated, and writes that bypass them all (querysets, a stale copy saved)."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from api.imports import import_file
from commitments.models import Assessment, Commitment, ImplementationStatus, Verdict
from snapshots.records import FIXTURE
from tests import test_follow_through
from tests.factories import CommitmentFactory
from tests.test_follow_through import draft, quote_evidence
from tests.test_import import EXPORTS, edit, exported, rows_of
from tests.test_snapshot import empty_curated_tables, export, records, snapshot_command

pytestmark = pytest.mark.django_db

# A 2016 pledge, a 2019 statement reporting on it, and the cycle between their meetings.
pledge = test_follow_through.pledge


def out_of_step():
    """(slug, stored, worked out) of every commitment whose stored status is not the one its assessments give."""
    # The rule worked out per row (a subquery, what the list did before the status was stored).
    newest = Assessment.objects.newest_first_of("pk").values("status")[:1]
    computed = Coalesce(Subquery(newest), Value(ImplementationStatus.NOT_ASSESSED))
    rows = Commitment.objects.annotate(computed_status=computed).values_list("slug", "latest_status", "computed_status")
    return [row for row in rows if row[1] != row[2]]


def statuses():
    return dict(
        Commitment.objects.exclude(latest_status=ImplementationStatus.NOT_ASSESSED).values_list("slug", "latest_status")
    )


def test_the_services_and_the_admin_keep_it_through_draft_approval_supersession_and_correction(client, pledge, curator):
    commitment, report, cycle = pledge
    evidence = quote_evidence(report)
    first = draft(commitment, cycle, verdict=Verdict.COMPROMISE, evidence=[(evidence, "x")], by="alice")
    assert statuses() == {} and out_of_step() == []  # a draft waits for review
    client.force_login(curator)
    url = reverse("admin:commitments_assessment_changelist")
    client.post(url, {"action": "approve_selected", "_selected_action": [first.pk]})
    assert statuses() == {commitment.slug: "compromise"} and out_of_step() == []
    later = draft(
        commitment,
        None,
        evidence=[(evidence, "y")],
        on=datetime.date(2020, 1, 1),
        supersedes=first,
        supersede_reason="recalibrated",
        by="alice",
    )
    assert statuses() == {commitment.slug: "compromise"}
    client.post(url, {"action": "approve_selected", "_selected_action": [later.pk]})
    assert statuses() == {commitment.slug: "kept"} and out_of_step() == []
    Assessment.objects.get(pk=later.pk).delete()  # a wrong one removed (the admin refuses; a shell does not)
    assert statuses() == {commitment.slug: "compromise"} and out_of_step() == []


def test_writes_that_bypass_the_services_keep_it_too(pledge):
    commitment, report, cycle = pledge
    other = CommitmentFactory(statement=commitment.statement, phrase="We welcome the progress.")
    assessment = draft(commitment, cycle, evidence=[(quote_evidence(report), "x")], by="alice")
    stale = Commitment.objects.get(pk=commitment.pk)
    Assessment.objects.filter(pk=assessment.pk).update(review_state="approved", approved_by="bob")
    assert statuses() == {commitment.slug: "kept"}
    stale.note = "Saved from a copy read before the approval."
    stale.save()
    assert statuses() == {commitment.slug: "kept"}
    Assessment.objects.filter(pk=assessment.pk).update(status="stalled")
    assert statuses() == {commitment.slug: "stalled"}
    Assessment.objects.filter(pk=assessment.pk).update(commitment=other)
    assert statuses() == {other.slug: "stalled"} and out_of_step() == []
    Commitment.objects.filter(pk=commitment.pk).update(latest_status="broken")  # never what it is not
    assert statuses() == {other.slug: "stalled"}
    Assessment.objects.filter(pk=assessment.pk).delete()
    assert statuses() == {} and out_of_step() == []


def test_the_api_keeps_it(pledge, curator_client):
    commitment, report, cycle = pledge
    assessment = draft(commitment, cycle, evidence=[(quote_evidence(report), "x")], by="alice")
    Assessment.objects.filter(pk=assessment.pk).update(review_state="approved", approved_by="bob")
    url = reverse("api:assessment-detail", args=[assessment.key()])
    response = curator_client.patch(
        url,
        {"verdict": "stalled"},
        content_type="application/json",
        headers={"if-match": curator_client.get(url)["ETag"]},
    )
    assert response.status_code == 200, response.content
    assert out_of_step() == []
    listed = curator_client.get(reverse("api:commitment-list"), {"status": statuses().get(commitment.slug, "x")})
    assert [row["slug"] for row in listed.json()["results"]] == list(statuses())


def test_an_import_keeps_it(seeded, curator_client, curator):
    before = statuses()
    data = rows_of(exported(curator_client, EXPORTS["assessments"]), 1)
    result = import_file(edit(data, 0, verdict="stalled"), "assessments.csv", user=curator)
    assert result.applied, result.rows[0].errors
    assert out_of_step() == [] and statuses() != before


def test_a_snapshot_leaves_it_out_and_a_restore_derives_it_again(seeded, tmp_path):
    before = statuses()
    assert before and out_of_step() == []
    path = export(tmp_path / "snap", "--unsigned")
    assert not any("latest_status" in record["fields"] for record in records(path, FIXTURE))
    snapshot_command("restore", path, "--replace", "--no-origin-check")
    assert statuses() == before and out_of_step() == []


def test_the_seed_loaded_and_the_demo_generated_keep_it(db):
    call_command("load_seed", verbosity=0)
    assert statuses() and out_of_step() == []
    empty_curated_tables()
    call_command("generate_demo", "--commitments", "300", "--seed", "7", verbosity=0)
    assert statuses() and out_of_step() == []
