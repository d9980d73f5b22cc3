"""Synthetic data for the benchmark: valid records a curator could have entered, at any size."""

import pytest
from django.core.management import CommandError, call_command

from commitments.assessments import assessment_problems
from commitments.models import Assessment, Commitment, MemberScore, MoneyStage, Thread
from meetings.models import Figure, Meeting, Statement
from snapshots.export import export_snapshot
from snapshots.records import curated_models
from snapshots.verify import verify_snapshot

pytestmark = pytest.mark.django_db


def test_generate_demo_fills_an_empty_database_with_valid_quotes_and_threads(tmp_path, capsys):
    call_command("generate_demo", "--commitments", "450")
    out = capsys.readouterr()
    assert "commitments.commitment: 450" in out.out
    assert "commitments: 450 of 450" in out.err
    assert Commitment.objects.count() == 450
    assert Meeting.objects.count() == 3 and Statement.objects.count() == 5
    assert Figure.objects.exists() and Assessment.objects.exists()
    # Follow-through at scale: verdicts with evidence quoted from a later meeting, some superseded, some drafts,
    # each keeping the rules a curator's would (checked again here, on the stored rows).
    assessments = Assessment.objects.select_related("commitment__statement__meeting", "cycle", "supersedes")
    assert assessments.filter(review_state="draft").exists() and assessments.filter(supersedes__isnull=False).exists()
    assert (
        assessments.exclude(verdict__in=["not-assessed", "no-evidence"]).filter(evidence_links__isnull=True).count()
        == 0
    )
    for assessment in assessments.exclude(verdict="no-evidence")[:100]:
        assert assessment_problems(assessment) == {}, assessment
    # Members scored one by one and money by stage, on approved assessments only, each row within its rules.
    assert "commitments.memberscore: " in out.out and "commitments.moneystage: " in out.out
    scores, stages = MemberScore.objects.select_related("assessment"), MoneyStage.objects.select_related("assessment")
    assert scores.exists() and stages.exists()
    assert {row.assessment.review_state for row in [*scores, *stages]} == {"approved"}
    for row in [*scores[:50], *stages[:50]]:
        row.full_clean()
    assert MemberScore.objects.percentages("member") and Commitment.objects.filter(amount__isnull=False).exists()
    # Every record validates as a curator's would, and a snapshot of it verifies (every quote checked).
    for commitment in Commitment.objects.select_related("statement", "line_of_effort")[:200]:
        commitment.full_clean()
    result = verify_snapshot(export_snapshot(tmp_path / "snap").directory)
    assert result.ok, result.failures[:5]
    for thread in Thread.objects.with_timeline():
        steps = thread.timeline()
        assert [s.entry.position for s in steps] == list(range(1, len(steps) + 1))
        assert steps[0].entry.change_kind == "new"
        dates = [s.entry.commitment.statement.meeting.start_date for s in steps]
        assert dates == sorted(dates)
    assert any(len({e.commitment.statement.meeting_id for e in t.entries.all()}) >= 2 for t in Thread.objects.all())
    assert Commitment.history.count() == 450  # each record's initial history row


def test_generate_demo_is_reproducible_and_refuses_a_database_with_data():
    call_command("generate_demo", "--commitments", "120", "--seed", "7", verbosity=0)
    first = list(Commitment.objects.order_by("slug").values_list("slug", "quote", "start"))
    with pytest.raises(CommandError, match="already holds statements"):
        call_command("generate_demo", "--commitments", "10", verbosity=0)
    # A later assessment supersedes an earlier one, which it protects: let go of that first.
    Assessment.objects.update(supersedes=None)
    for model in reversed(curated_models()):
        model.objects.all().delete()
    call_command("generate_demo", "--commitments", "120", "--seed", "7", verbosity=0)
    assert list(Commitment.objects.order_by("slug").values_list("slug", "quote", "start")) == first
