"""The threads' rules (commitments.rules) hold on every path: placing, the seed builder, verify, restore."""

import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from commitments.models import ThreadEntry
from commitments.rules import PlacedEntry, order_problems
from snapshots.seed import SeedError, build_seed


def placed(*entries):
    """Entries as (commitment, position, change kind[, meeting year]): by default each a year after the one before."""
    return [PlacedEntry(e[0], e[1], e[2], (e[3] if len(e) > 3 else 2000 + e[1], 1, 0)) for e in entries]


def test_a_thread_that_keeps_its_rules_has_no_problem():
    assert (
        order_problems("t", placed(("a", 1, "new"), ("b", 2, "new"), ("c", 3, "widened"), ("d", 4, "repeated"))) == []
    )


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (placed(("a", 1, "repeated"), ("b", 2, "widened")), "“a” opens it but is marked “repeated”, not “new”"),
        (
            placed(("a", 1, "new"), ("b", 2, "widened"), ("c", 3, "new")),
            "“c” (position 3) is marked “new” after “b” (position 2, “widened”)",
        ),
        (
            placed(("a", 1, "new", 2016), ("b", 2, "widened", 2021), ("c", 3, "repeated", 2019)),
            "“c” (position 3) was made before “b” (position 2): entries follow meeting order",
        ),
        (placed(("a", 1, "new"), ("b", 3, "widened")), "positions [1, 3], not numbered 1..2"),
    ],
)
def test_each_break_of_a_threads_rules_is_named_with_its_thread_and_entry(entries, expected):
    problems = order_problems("stabilization-funding", entries)
    assert any(expected in problem and "“stabilization-funding”" in problem for problem in problems), problems


def a_thread_with_three_entries():
    counted = ThreadEntry.objects.order_by("thread").values("thread").annotate(n=Count("pk"))
    thread_id = counted.filter(n__gte=3).values_list("thread", flat=True)[0]
    entries = ThreadEntry.objects.filter(thread_id=thread_id).select_related("thread", "commitment__statement__meeting")
    return list(entries.order_by("position"))


def break_with_a_late_new(entries):
    ThreadEntry.objects.filter(pk=entries[1].pk).update(change_kind="widened")
    ThreadEntry.objects.filter(pk=entries[2].pk).update(change_kind="new")
    return f"“{entries[2].commitment.slug}” (position 3) is marked “new” after “{entries[1].commitment.slug}”"


def order_of(entry):
    statement = entry.commitment.statement
    return (statement.meeting.start_date, statement.position, entry.commitment.start)


def break_the_meeting_order(entries):
    # Two neighbours from different meetings swap positions (parked out of the way first): the thread's
    # positions no longer follow meeting order, and nothing else changes.
    earlier, later = next((a, b) for a, b in zip(entries[1:], entries[2:], strict=False) if order_of(a) < order_of(b))
    ThreadEntry.objects.filter(pk=earlier.pk).update(position=10_000)
    ThreadEntry.objects.filter(pk=later.pk).update(position=earlier.position)
    ThreadEntry.objects.filter(pk=earlier.pk).update(position=later.position)
    return f"“{earlier.commitment.slug}” (position {later.position}) was made before “{later.commitment.slug}”"


@pytest.mark.parametrize("breaking", [break_with_a_late_new, break_the_meeting_order])
def test_a_genuine_snapshot_of_a_thread_that_breaks_its_rules_is_refused_by_verify_and_restore(
    seeded, tmp_path, breaking
):
    entries = a_thread_with_three_entries()
    expected = breaking(entries)
    thread = f"recurring pledge “{entries[0].thread.slug}”"
    assert ThreadEntry.objects.rule_problems(), "the database itself shows the break"
    path = tmp_path / "snap"
    call_command("snapshot", "export", str(path), verbosity=0)  # signed and sealed as exported: only the rule breaks

    with pytest.raises(CommandError) as refused:
        call_command("snapshot", "verify", str(path), verbosity=0)
    assert thread in str(refused.value) and expected in str(refused.value)
    assert "sha256 mismatch" not in str(refused.value)

    with pytest.raises(CommandError, match="fails verification") as refused:
        call_command("snapshot", "restore", str(path), "--replace", verbosity=0)
    assert expected in str(refused.value)


def test_the_seed_builder_refuses_a_thread_whose_later_entry_is_marked_new(tmp_path, sources_dir, settings):
    curation = tmp_path / "curation"
    shutil.copytree(settings.BASE_DIR / "fixtures" / "curation", curation)
    path = curation / "rome-2021-ministerial-statement.yaml"
    text = path.read_text(encoding="utf-8")
    assert "change: widened" in text
    path.write_text(text.replace("change: widened", "change: new", 1), encoding="utf-8")
    with pytest.raises(SeedError, match="is marked “new” after"):
        build_seed(curation, sources_dir)


def test_the_demo_generator_checks_the_rules_of_the_threads_it_made(db):
    from demo.synthetic import generate

    generate(300, seed=3)
    assert ThreadEntry.objects.exists()
    assert ThreadEntry.objects.rule_problems() == []
