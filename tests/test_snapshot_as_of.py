"""`snapshot export --as-of`: the record as it stood then, byte for byte the export taken then; and its refusals."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError, RestrictedError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.merging import split_thread
from commitments.models import AssessmentCycle, Commitment, LineOfEffort, Thread, ThreadEntry
from commitments.services import place_in_thread, remove_from_thread
from demo.synthetic import generate
from meetings.models import Meeting
from snapshots.as_of import parse_when
from snapshots.records import FIXTURE, MANIFEST, SnapshotError, curated_models
from snapshots.verify import verify_snapshot
from tests.factories import LineOfEffortFactory

pytestmark = pytest.mark.django_db


def export(path, *args):
    call_command("snapshot", "export", str(path), *args, verbosity=0)
    return path


def manifest_of(path):
    return json.loads((path / MANIFEST).read_text())


def after(moment):
    """Wait until the clock is past `moment`, so that nothing saved from now on is dated at it."""
    while timezone.now() <= moment:
        pass


@pytest.fixture
def generated(db):
    """Every curated model's records, each with its history, as the demo generator writes them."""
    generate(300, seed=3)
    first, last = Meeting.objects.order_by("start_date")[0], Meeting.objects.order_by("-start_date")[0]
    AssessmentCycle.objects.create(slug="cycle", name="A cycle", from_meeting=first, to_meeting=last)
    # A split, for a link between pledges (the generator makes none).
    pledge = Thread.objects.annotate(places=Count("entries")).filter(places__gte=2).order_by("pk")[0]
    moved = pledge.entries.order_by("-position")[0].commitment.slug
    split_thread(thread=pledge, commitments=[moved], slug=f"{pledge.slug}-split", title="Split", reason="Two.", by=None)
    assert all(model._default_manager.exists() for model in curated_models())


def _changes(data):
    """Edits to make after the moment: a record of each model changed, some deleted, entries placed and removed."""
    for model in curated_models():
        rows = list(model._default_manager.order_by("pk")[:50])
        row = rows[data.draw(st.integers(0, len(rows) - 1), label=f"changed {model._meta.label_lower}")]
        texts = ("note", "relied_on", "description", "provenance_note", "name", "reason")
        text = next(f for f in texts if hasattr(row, f))
        setattr(row, text, getattr(row, text) + " (edited later)")
        if data.draw(st.booleans(), label="rename too") and hasattr(row, "slug"):
            # Referring records must still cite the slug it had then.
            row.slug = f"{row.slug}-renamed"
        row.save()
    for model in curated_models():
        rows = list(model._default_manager.order_by("-pk")[:20])
        for index in data.draw(st.sets(st.integers(0, len(rows) - 1), max_size=2), label="deleted"):
            try:
                with transaction.atomic():
                    rows[index].delete()
            except (ProtectedError, RestrictedError, IntegrityError):
                pass  # still referred to: kept
    entries = list(ThreadEntry.objects.order_by("pk")[:30])
    for index in data.draw(st.sets(st.integers(0, len(entries) - 1), max_size=3), label="removed entries"):
        try:
            remove_from_thread(entry=ThreadEntry.objects.get(pk=entries[index].pk))
        except Exception:  # noqa: BLE001 - a removal its rules refuse (or of an entry deleted above) is no change
            pass
    loose = list(Commitment.objects.filter(thread_entries__isnull=True).order_by("pk")[:10])
    thread = Thread.objects.create(
        slug="placed-later", title="Placed later", line_of_effort=LineOfEffort.objects.first()
    )
    for commitment in loose[: data.draw(st.integers(0, len(loose)), label="placed")]:
        place_in_thread(
            thread=thread, commitment=commitment, change_kind="new" if not thread.entries.exists() else "same"
        )
    LineOfEffortFactory(slug="created-later")


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_an_export_as_of_a_moment_is_byte_identical_to_the_export_taken_then(generated, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("as-of")
    with transaction.atomic():
        then = export(folder / "then", "--unsigned")
        moment = timezone.now()
        after(moment)
        _changes(data)
        past = export(folder / "past", "--unsigned", "--as-of", moment.isoformat())
        now = export(folder / "now", "--unsigned")
        transaction.set_rollback(True)

    assert (past / FIXTURE).read_bytes() == (then / FIXTURE).read_bytes()
    assert (now / FIXTURE).read_bytes() != (then / FIXTURE).read_bytes()
    old, new = manifest_of(then), manifest_of(past)
    assert new.pop("as_of") == moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    different = {"exported_at", "snapshot_sha256"}
    assert {k: v for k, v in new.items() if k not in different} == {k: v for k, v in old.items() if k not in different}


def test_an_as_of_export_states_when_it_is_of_inside_its_signature_and_verifies(tmp_path):
    LineOfEffortFactory(slug="old", name="Old name")
    moment = timezone.now()
    after(moment)
    LineOfEffort.objects.filter(slug="old").get().delete()
    path = export(tmp_path / "past", "--as-of", moment.isoformat())

    manifest = manifest_of(path)
    assert manifest["as_of"] == moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    assert '"slug":"old"' in (path / FIXTURE).read_text()
    assert verify_snapshot(path).ok
    # The moment is covered by the digest and the signature: changing it is caught.
    manifest["as_of"] = timezone.now().isoformat()
    (path / MANIFEST).write_text(json.dumps(manifest))
    result = verify_snapshot(path)
    assert not result.ok and any("snapshot_sha256 mismatch" in failure for failure in result.failures)


def test_a_moment_before_the_history_began_is_refused_and_nothing_is_written(tmp_path):
    LineOfEffortFactory(slug="first")
    with pytest.raises(CommandError, match="reaches back to .* only .*history began.* Nothing was written"):
        export(tmp_path / "past", "--as-of", "2001-01-01")
    assert not (tmp_path / "past").exists()
    assert list(tmp_path.iterdir()) == []


def test_records_loaded_without_history_leave_no_past_to_export(tmp_path):
    LineOfEffortFactory(slug="recorded")
    moment = timezone.now()
    after(moment)
    # As `loaddata` or a restore writes them: no history row.
    LineOfEffort.objects.bulk_create([LineOfEffort(slug="loaded", name="Loaded", position=9)])
    with pytest.raises(CommandError, match="some commitments.lineofeffort records have no history row"):
        export(tmp_path / "past", "--as-of", moment.isoformat())
    assert not (tmp_path / "past").exists()


def test_a_record_whose_history_starts_with_a_change_moves_the_horizon_to_it(tmp_path):
    LineOfEffortFactory(slug="recorded")
    LineOfEffort.objects.bulk_create([LineOfEffort(slug="loaded", name="Loaded", position=9)])
    before = timezone.now()
    after(before)
    loaded = LineOfEffort.objects.get(slug="loaded")
    loaded.name = "Changed after loading"
    loaded.save()  # its first history row: a change, not its creation
    with pytest.raises(CommandError, match="history starts with a change"):
        export(tmp_path / "before", "--as-of", before.isoformat())
    path = export(tmp_path / "after", "--as-of", timezone.now().isoformat())
    assert "Changed after loading" in (path / FIXTURE).read_text()


def test_pruned_history_leaves_a_horizon(tmp_path):
    old = LineOfEffortFactory(slug="old")
    early = timezone.now()
    after(early)
    LineOfEffortFactory(slug="later")
    # clean_old_history deletes every row before its cutoff: here, the old record's creation.
    LineOfEffort.history.filter(history_date__lte=early).delete()
    with pytest.raises(CommandError, match="no history row"):
        export(tmp_path / "past", "--as-of", early.isoformat())
    old.name = "Changed since"
    old.save()
    with pytest.raises(CommandError, match="reaches back to"):
        export(tmp_path / "past", "--as-of", early.isoformat())


def test_a_record_deleted_without_a_history_row_leaves_no_past_to_export(tmp_path):
    LineOfEffortFactory(slug="kept")
    LineOfEffortFactory(slug="gone")
    LineOfEffort.objects.filter(slug="gone")._raw_delete(LineOfEffort.objects.db)
    with pytest.raises(CommandError, match="deleted without a history row"):
        export(tmp_path / "past", "--as-of", timezone.now().isoformat())


def test_a_moment_in_the_future_is_refused(tmp_path):
    LineOfEffortFactory(slug="first")
    with pytest.raises(CommandError, match="in the future"):
        export(tmp_path / "later", "--as-of", "2999-01-01")


def test_as_of_with_history_is_refused(tmp_path):
    LineOfEffortFactory(slug="first")
    with pytest.raises(CommandError, match="without the change history"):
        export(tmp_path / "past", "--as-of", timezone.now().isoformat(), "--with-history")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-03", datetime.datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=datetime.UTC)),
        ("2026-03-03T14:00:00", datetime.datetime(2026, 3, 3, 14, tzinfo=datetime.UTC)),
        ("2026-03-03T14:00:00+01:00", datetime.datetime(2026, 3, 3, 13, tzinfo=datetime.UTC)),
        ("2026-03-03T14:00:00.000001Z", datetime.datetime(2026, 3, 3, 14, 0, 0, 1, tzinfo=datetime.UTC)),
    ],
)
def test_a_date_is_the_end_of_that_day_in_utc_and_an_instant_without_offset_is_utc(text, expected):
    assert parse_when(text) == expected


def test_parse_when_refuses_what_is_not_a_moment_as_the_pages_do():
    """The command reads a moment as `?as_of=` does (core.when): one rule, one message."""
    with pytest.raises(SnapshotError, match="“last tuesday” is not a moment"):
        parse_when("last tuesday")
    with pytest.raises(SnapshotError, match="is in the future"):
        parse_when("2999-01-01")


def diff_command(*args):
    out = io.StringIO()
    try:
        call_command("snapshot", "diff", *map(str, args), stdout=out)
    except SystemExit as exited:
        return out.getvalue(), exited.code
    return out.getvalue(), 0


def test_diff_compares_two_moments_a_moment_and_now_and_a_folder_and_a_moment(tmp_path):
    LineOfEffortFactory(slug="kept", name="First name")
    LineOfEffortFactory(slug="gone")
    first = timezone.now()
    after(first)
    kept = LineOfEffort.objects.get(slug="kept")
    kept.name = "Second name"
    kept.save()
    LineOfEffort.objects.get(slug="gone").delete()
    LineOfEffortFactory(slug="new")
    second = timezone.now()
    after(second)
    folder = export(tmp_path / "then", "--unsigned", "--as-of", first.isoformat())

    out, status = diff_command(first.isoformat(), second.isoformat())
    assert status == 1
    assert f"old: the record as of {first.astimezone(datetime.UTC).isoformat(timespec='microseconds')}" in out
    assert "- commitments.lineofeffort gone" in out
    assert "+ commitments.lineofeffort new" in out
    assert '    name: "First name" -> "Second name"' in out
    assert diff_command(second.isoformat(), "now") == (diff_command(second.isoformat(), "now")[0], 0)
    out, status = diff_command(folder, second.isoformat())
    assert status == 1 and f"old: {folder} (exported" in out and "+ commitments.lineofeffort new" in out
    out, status = diff_command(folder, first.isoformat())
    assert status == 0, out
    with pytest.raises(CommandError, match="reaches back to") as refused:
        diff_command("2001-01-01", "now")
    assert refused.value.returncode == 2


def test_a_snapshot_whose_assessments_supersede_others_in_the_same_chunk_restores(generated, tmp_path):
    from commitments.models import Assessment

    assert Assessment.objects.filter(supersedes__isnull=False).exists()
    path = export(tmp_path / "now", "--unsigned")
    for model in reversed(curated_models()):
        model._default_manager.all()._raw_delete(model._default_manager.db)
    call_command("snapshot", "restore", str(path), "--no-origin-check", verbosity=0)
    again = export(tmp_path / "again", "--unsigned")
    assert (again / FIXTURE).read_bytes() == (path / FIXTURE).read_bytes()


def test_an_as_of_export_asks_as_many_queries_whatever_the_historys_length(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    line = LineOfEffortFactory(slug="line", name="Version 0")

    def queries(name):
        moment = timezone.now()
        after(moment)
        with CaptureQueriesContext(connection) as captured:
            export(tmp_path / name, "--unsigned", "--as-of", moment.isoformat())
        return len(captured)

    short = queries("short")
    for version in range(1, 12):
        line.name = f"Version {version}"
        line.save()
    assert queries("long") == short


def test_restore_replace_deletes_assessments_that_supersede_one_another(generated, tmp_path):
    from commitments.models import Assessment

    assert Assessment.objects.filter(supersedes__isnull=False).exists()
    path = export(tmp_path / "now", "--unsigned")
    out = io.StringIO()
    call_command("snapshot", "restore", str(path), "--replace", "--no-origin-check", stdout=out)
    assert "Deleted" in out.getvalue()
    again = export(tmp_path / "again", "--unsigned")
    assert (again / FIXTURE).read_bytes() == (path / FIXTURE).read_bytes()
