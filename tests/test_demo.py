"""Synthetic data for the benchmark: valid records a curator could have entered, at any size."""

import math
import statistics

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from commitments.assessments import assessment_problems
from commitments.models import Assessment, Commitment, MemberScore, MoneyStage, Thread
from demo.shape import SeedShape, power_law_exponent
from demo.synthetic import generate
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
    # Meetings of one or two statements, as the seed's; statements of different lengths (tests below).
    assert Meeting.objects.count() < Statement.objects.count() <= 2 * Meeting.objects.count()
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


def test_seed_shape_is_measured_from_the_seed():
    """The figures the generator draws from are the seed's own (docs/benchmark.md, *The demo data*)."""
    shape = SeedShape.from_seed()
    # Five statements of 60, 40, 29, 16 and 9 commitments; one meeting of the four issues two statements.
    assert shape.per_statement[0] == pytest.approx(statistics.fmean(math.log(n) for n in (60, 40, 29, 16, 9)))
    assert shape.statements_per_meeting == (1, 1, 1, 2)
    assert shape.thread_share == pytest.approx(90 / 154)
    assert min(shape.entries_per_meeting) == 1 and max(shape.entries_per_meeting) == 4
    assert shape.assessed_share == pytest.approx(25 / 154) and shape.superseded_share == pytest.approx(1 / 25)
    assert shape.verdicts == {"compromise": 6, "in-the-works": 8, "kept": 8, "no-evidence": 4}
    # All but one of the seed's 21 pledges still run at its last meeting: a flat law, from 2 meetings on.
    assert 0 < shape.lifetime_exponent < 1
    # The fit finds a steeper law where pledges end early.
    assert power_law_exponent([(2, False)] * 20 + [(3, False)] * 5) > 2


def test_generate_demo_draws_statements_and_pledges_shaped_like_the_seed():
    generate(3000, seed=1)
    per_statement = list(Statement.objects.annotate(n=Count("commitments")).values_list("n", flat=True))
    # Statements of few and of many commitments, around the seed's (9 to 60), not one size for all.
    assert min(per_statement) < 9 and max(per_statement) > 60
    assert 15 < statistics.median(per_statement) < 45
    lengths = [len(text) / n for text, n in Statement.objects.annotate(n=Count("commitments")).values_list("text", "n")]
    assert 150 < statistics.median(lengths) < 400  # characters per commitment: the seed's 194 to 323
    # Pledges of two entries and pledges of dozens (hundreds at 10,000 commitments): a long tail, where the
    # seed's four meetings stop at seven.
    entries = sorted(Thread.objects.annotate(n=Count("entries")).values_list("n", flat=True))
    assert entries[0] <= 3 and entries[-1] >= 40
    assert Assessment.objects.values("commitment").distinct().count() < 0.25 * 3000
