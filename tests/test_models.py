import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commitments.models import Commitment, ImplementationStatus, Thread, ThreadEntry
from commitments.services import place_in_thread, remove_from_thread
from commitments.wording import compare, similarity, word_diff
from core.spans import locate_quote
from core.texts import read_statement_file, sha256_hex
from meetings.models import Meeting, Member, Statement
from tests.factories import (
    STATEMENT_TEXT,
    AssessmentFactory,
    CommitmentFactory,
    FigureFactory,
    LineOfEffortFactory,
    MeetingFactory,
    MemberFactory,
    ParticipationFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
    commitments_at_meetings,
    span_of,
    thread_with,
)

pytestmark = pytest.mark.django_db


def refused(create):
    """Whether the database refuses the row that `create` writes."""
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


# -- database constraints: each bad row is refused by the database itself ------------------------


def test_database_refuses_span_that_does_not_start_before_its_end():
    statement = StatementFactory()
    assert refused(lambda: CommitmentFactory(statement=statement, start=10, end=10, quote=""))


def test_database_refuses_quote_longer_or_shorter_than_its_span():
    statement = StatementFactory()
    start, end = span_of("We welcome Libya")
    assert refused(lambda: CommitmentFactory(statement=statement, start=start, end=end + 5, quote="We welcome Libya"))
    assert refused(lambda: FigureFactory(statement=statement, start=start, end=end - 1, quote="We welcome Libya"))


def test_database_refuses_empty_statement_text():
    meeting = MeetingFactory()
    assert refused(lambda: Statement.objects.bulk_create([Statement(slug="x", meeting=meeting, text="", sha256="")]))


def test_database_refuses_meeting_that_ends_before_it_starts():
    assert refused(lambda: MeetingFactory(start_date=datetime.date(2020, 1, 29), end_date=datetime.date(2020, 1, 28)))


def test_database_refuses_duplicate_natural_keys():
    commitment = CommitmentFactory()
    assert refused(lambda: CommitmentFactory(slug=commitment.slug, statement=commitment.statement))
    meeting = MeetingFactory()
    assert refused(lambda: MeetingFactory(slug=meeting.slug))


def test_database_refuses_two_commitments_at_one_position_of_a_thread():
    entry = ThreadEntryFactory()
    other = CommitmentFactory(statement=entry.commitment.statement, phrase="We welcome the progress.")
    assert refused(lambda: ThreadEntryFactory(thread=entry.thread, commitment=other, position=1))


def test_database_refuses_a_commitment_twice_in_one_thread():
    entry = ThreadEntryFactory()
    assert refused(
        lambda: ThreadEntryFactory(thread=entry.thread, commitment=entry.commitment, position=2, change_kind="repeated")
    )


def test_database_refuses_a_thread_opened_by_anything_but_a_new_pledge():
    assert refused(lambda: ThreadEntryFactory(position=1, change_kind="repeated"))


def test_database_refuses_amount_without_currency():
    assert refused(lambda: CommitmentFactory(amount=20_000_000_000, currency=""))


def test_database_refuses_the_same_participation_twice_from_one_source():
    statement = StatementFactory()
    member = MemberFactory()
    ParticipationFactory(meeting=statement.meeting, member=member, statement=statement)
    assert refused(lambda: ParticipationFactory(meeting=statement.meeting, member=member, statement=statement))
    # Without a source it is still one record per member, role and meeting.
    ParticipationFactory(meeting=statement.meeting, member=member, role="host")
    assert refused(lambda: ParticipationFactory(meeting=statement.meeting, member=member, role="host"))


def test_database_refuses_a_participation_quote_without_its_statement():
    assert refused(lambda: ParticipationFactory(start=0, end=5, quote="We, t"))


# -- validation: what the database cannot hold ---------------------------------------------------


def test_quote_must_equal_the_text_between_its_offsets():
    commitment = CommitmentFactory.build(statement=StatementFactory(), line_of_effort=LineOfEffortFactory())
    commitment.full_clean()
    assert commitment.quote_matches()

    commitment.quote = commitment.quote.replace("enhance", "enhanse")
    with pytest.raises(ValidationError) as error:
        commitment.full_clean()
    assert "quote" in error.value.message_dict
    assert "not the text at offsets" in error.value.message_dict["quote"][0]


def test_offsets_outside_the_text_are_refused_with_the_texts_length():
    commitment = CommitmentFactory.build(
        statement=StatementFactory(), line_of_effort=LineOfEffortFactory(), start=5, end=10_000, quote="x"
    )
    with pytest.raises(ValidationError) as error:
        commitment.full_clean()
    assert f"outside the text (0-{len(STATEMENT_TEXT)})" in error.value.message_dict["end"][0]


def test_locate_finds_offsets_of_a_unique_quote_and_refuses_absent_or_repeated_ones():
    statement = StatementFactory()
    assert statement.locate("We welcome Libya") == span_of("We welcome Libya")
    with pytest.raises(ValidationError, match="is not in the text"):
        statement.locate("We welcome Narnia")
    with pytest.raises(ValidationError, match="occurs 2 times"):
        statement.locate("We welcome")
    with pytest.raises(ValueError, match="occurs 2 times"):
        locate_quote(statement.text, "We welcome")


def test_statement_digest_is_computed_from_its_text():
    statement = StatementFactory()
    assert statement.sha256 == sha256_hex(STATEMENT_TEXT)
    assert statement.text_matches_digest()


def test_statement_text_can_change_until_something_quotes_it():
    statement = StatementFactory()
    statement.text = STATEMENT_TEXT + "Added before any quote.\n"
    statement.save()
    assert statement.sha256 == sha256_hex(statement.text)

    CommitmentFactory(statement=statement)
    statement.text = statement.text.replace("INTERPOL", "Europol")
    with pytest.raises(ValidationError, match="cannot change"):
        statement.save()
    with pytest.raises(ValidationError, match="cannot change"):
        statement.full_clean()
    statement.refresh_from_db()
    assert "INTERPOL" in statement.text


def test_participation_statement_must_belong_to_its_meeting():
    participation = ParticipationFactory.build(
        meeting=MeetingFactory(), member=MemberFactory(), statement=StatementFactory()
    )
    with pytest.raises(ValidationError, match="another meeting"):
        participation.full_clean()


def test_reading_statement_files_refuses_empty_binary_and_non_utf8(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Da’esh\n", encoding="utf-8")
    assert read_statement_file(good) == "Da’esh\n"
    for name, data, message in [
        ("empty.txt", b"  \n", "empty"),
        ("binary.txt", b"PK\x03\x04\x00\x00", "NUL bytes"),
        ("latin1.txt", "Da’esh".encode("cp1252"), "not UTF-8"),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ValueError, match=message):
            read_statement_file(path)


# -- threads, diffs and follow-up ------------------------------------------------------------------


def test_place_in_thread_keeps_meeting_order_whatever_the_order_of_entry():
    thread, (c2016, c2019, c2021) = ThreadFactory(), commitments_at_meetings(2016, 2019, 2021)
    place_in_thread(thread=thread, commitment=c2019, change_kind="new")
    place_in_thread(thread=thread, commitment=c2021, change_kind="widened")
    place_in_thread(thread=thread, commitment=c2016, change_kind="new")
    # c2019 no longer opens the thread; its kind stays what the curator said.
    assert list(thread.entries.order_by("position").values_list("commitment__slug", "position")) == [
        (c2016.slug, 1),
        (c2019.slug, 2),
        (c2021.slug, 3),
    ]
    assert list(Commitment.objects.in_thread(thread.slug)) == [c2016, c2019, c2021]


def test_place_in_thread_refuses_an_opening_commitment_not_marked_new():
    thread, (c2016, c2019) = ThreadFactory(), commitments_at_meetings(2016, 2019)
    place_in_thread(thread=thread, commitment=c2019, change_kind="new")
    with pytest.raises(ValidationError, match="must be “new”"):
        place_in_thread(thread=thread, commitment=c2016, change_kind="repeated")
    assert thread.entries.count() == 1


def test_removing_the_opening_commitment_needs_the_next_one_to_be_new():
    thread, (c2016, c2019, c2021) = ThreadFactory(), commitments_at_meetings(2016, 2019, 2021)
    first = place_in_thread(thread=thread, commitment=c2016, change_kind="new")
    place_in_thread(thread=thread, commitment=c2019, change_kind="new")
    place_in_thread(thread=thread, commitment=c2021, change_kind="widened")
    remove_from_thread(entry=first)
    assert list(thread.entries.order_by("position").values_list("position", "commitment__slug")) == [
        (1, c2019.slug),
        (2, c2021.slug),
    ]


def test_word_diff_gives_structured_inserted_and_deleted_runs():
    runs = word_diff(
        "We must continue to increase our humanitarian and stabilization financial contributions",
        "We must continue to increase our various forms of assistance and stabilization support",
    )
    assert [(r.op, r.text) for r in runs] == [
        ("equal", "We must continue to increase our"),
        ("delete", "humanitarian"),
        ("insert", "various forms of assistance"),
        ("equal", "and stabilization"),
        ("delete", "financial contributions"),
        ("insert", "support"),
    ]


def test_word_diff_ignores_capture_artefacts():
    assert [r.op for r in word_diff("raise approximately \\$20 billion", "raise approximately\n$20 billion")] == [
        "equal"
    ]


def _rome_vigilance_quote():
    """The Rome 2021 quote with three words its capture ran together, exactly as the seed holds it."""
    text = read_statement_file(Path(settings.SOURCES_DIR) / "2021-06-28-rome-ministerial-statement.txt")
    start = text.index("The Coalition must\ncontinue to be vigilant")
    return text[start : text.index("exploit.", start) + len("exploit.")]


def test_a_word_run_together_in_one_capture_is_compared_as_the_words_the_other_has_apart():
    rome = _rome_vigilance_quote()
    assert "tobuild on the successithas achieved and continueto act" in rome  # the capture's artefacts
    apart = rome.replace("tobuild", "to build").replace("successithas", "success it has")
    apart = apart.replace("continueto", "continue to")
    for old, new in [(apart, rome), (rome, apart)]:
        runs, share = compare(old, new)
        assert {run.op for run in runs} == {"equal"} and share == 1.0
        assert [run.joined for run in runs if run.joined] == [("tobuild",), ("successithas",), ("continueto",)]
        # The run holding a joined word's parts ends with them, so the note stands right after them.
        assert [run.text.split()[-2:] for run in runs if run.joined] == [
            ["to", "build"],
            ["it", "has"],
            ["continue", "to"],
        ]
        assert {"op": "equal", "text": "on the success it has", "joined": ["successithas"]} in [
            run.as_dict() for run in runs
        ]
    # Without the reading as parts, the three words would count as changes.
    assert similarity(apart, rome) > similarity(apart.replace("continue to act", "x y act"), rome)


def test_a_run_together_word_is_read_as_parts_only_where_the_other_quote_has_them_apart():
    # "tobuild" is no words of the other quote: it stays one inserted word, with no note.
    runs = word_diff("continue to act and to maintain", "continueto act and tobuild")
    assert [run.as_dict() for run in runs] == [
        {"op": "equal", "text": "continue to", "joined": ["continueto"]},
        {"op": "equal", "text": "act and"},
        {"op": "delete", "text": "to maintain"},
        {"op": "insert", "text": "tobuild"},
    ]
    # A word both quotes have whole is never cut, even where it is also two of their words together.
    assert [run.as_dict() for run in word_diff("to get her together", "to get her together")] == [
        {"op": "equal", "text": "to get her together"}
    ]


def test_timeline_pairs_each_entry_with_the_previous_one_and_suggests_a_change_kind():
    thread, (c2016, c2019, c2021) = ThreadFactory(), commitments_at_meetings(2016, 2019, 2021)
    # The 2021 text softens the pledge to a welcome.
    start, end = span_of("We welcome the progress.")
    Commitment.objects.filter(pk=c2021.pk).update(
        strength="soft", start=start, end=end, quote="We welcome the progress."
    )
    for commitment, kind in [(c2016, "new"), (c2019, "repeated"), (c2021, "weakened")]:
        place_in_thread(thread=thread, commitment=commitment, change_kind=kind)
    steps = Thread.objects.with_timeline().get(pk=thread.pk).timeline()
    assert [s.entry.commitment.slug for s in steps] == [c2016.slug, c2019.slug, c2021.slug]
    assert steps[0].diff == []
    assert [r.op for r in steps[2].diff] == ["equal", "delete", "insert"]
    assert [s.suggested_change_kind() for s in steps] == ["new", "repeated", "weakened"]


def test_latest_status_is_the_newest_assessment_and_defaults_to_not_assessed():
    assessed = CommitmentFactory()
    AssessmentFactory(commitment=assessed, assessed_on=datetime.date(2022, 1, 1), status="in-progress")
    AssessmentFactory(commitment=assessed, assessed_on=datetime.date(2023, 1, 1), status="kept")
    unassessed = CommitmentFactory(statement=assessed.statement, phrase="We welcome the progress.")
    statuses = dict(Commitment.objects.values_list("slug", "latest_status"))
    assert statuses == {assessed.slug: "kept", unassessed.slug: ImplementationStatus.NOT_ASSESSED}


def test_an_assessed_commitment_cannot_be_deleted():
    assessment = AssessmentFactory()
    assert not assessment.commitment.is_deletable()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        assessment.commitment.delete()


def test_a_quoted_statement_cannot_be_deleted():
    commitment = CommitmentFactory()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        commitment.statement.delete()
    assert Meeting.objects.filter(pk=commitment.statement.meeting_id).exists()


def test_members_welcomed_as_new_at_two_meetings_are_flagged():
    drc = MemberFactory(slug="drc")
    ParticipationFactory(member=drc, role="new-member")
    ParticipationFactory(member=drc, role="new-member")
    once = MemberFactory()
    ParticipationFactory(member=once, role="new-member")
    ParticipationFactory(member=once, role="observer")
    assert list(Member.objects.with_conflicting_joins()) == [drc]


def test_placing_an_entry_saves_each_moved_entry_once_and_never_at_a_temporary_position(
    django_assert_num_queries, without_change_feed
):
    c2016, c2019, c2020, c2021 = commitments_at_meetings(2016, 2019, 2020, 2021)
    thread = thread_with(c2019, c2020, c2021, kinds=["repeated", "widened"])
    before = set(ThreadEntry.history.values_list("history_id", flat=True))
    # One query locks the thread, one asks whether it was merged into another (issue 23), one reads it;
    # three entries move up one (an update and a history row each), then the new opener is inserted (and
    # its history row), inside a savepoint.
    with django_assert_num_queries(13):
        place_in_thread(thread=thread, commitment=c2016, change_kind="new")
    written = ThreadEntry.history.exclude(history_id__in=before)
    assert sorted(written.values_list("commitment__slug", "position", "history_type")) == sorted(
        [(c2016.slug, 1, "+"), (c2019.slug, 2, "~"), (c2020.slug, 3, "~"), (c2021.slug, 4, "~")]
    )
    assert list(thread.entries.order_by("position").values_list("commitment", flat=True)) == [
        c.pk for c in (c2016, c2019, c2020, c2021)
    ]


def test_removing_an_entry_moves_each_later_entry_once(django_assert_num_queries, without_change_feed):
    first, second, third = commitments_at_meetings(2016, 2019, 2021)
    thread = thread_with(first, second, third, kinds=["new", "widened"])
    before = set(ThreadEntry.history.values_list("history_id", flat=True))
    entry = thread.entries.get(commitment=first)
    # Two more than the writes need: the thread is locked, then the entry checked to be still there.
    with django_assert_num_queries(11):
        remove_from_thread(entry=entry)
    written = ThreadEntry.history.exclude(history_id__in=before)
    assert sorted(written.values_list("commitment__slug", "position", "history_type")) == sorted(
        [(first.slug, 1, "-"), (second.slug, 1, "~"), (third.slug, 2, "~")]
    )


def test_placing_an_entry_again_unchanged_writes_nothing():
    first, second = commitments_at_meetings(2016, 2021)
    thread = thread_with(first, second, kinds=["widened"])
    before = ThreadEntry.history.count()
    place_in_thread(thread=thread, commitment=second, change_kind="widened", note="")
    assert ThreadEntry.history.count() == before
    place_in_thread(thread=thread, commitment=second, change_kind="repeated", note="Same words.")
    assert ThreadEntry.history.count() == before + 1
    assert thread.entries.get(commitment=second).change_kind == "repeated"


def test_every_curated_model_finds_a_record_by_the_natural_key_it_gives():
    entry = ThreadEntryFactory()
    assessment = AssessmentFactory(commitment=entry.commitment, assessed_on=datetime.date(2022, 6, 30))
    assert assessment.natural_key() == (entry.commitment.slug, "2022-06-30")
    sourced = ParticipationFactory(statement=StatementFactory())
    external = ParticipationFactory()
    assert external.natural_key()[-1] is None
    records = [entry, entry.thread, entry.commitment, entry.commitment.statement, assessment, sourced, external]
    for record in records:
        assert type(record).objects.get_by_natural_key(*record.natural_key()) == record


# -- reviewing a thread: suggested kinds, close and rewritten wording, where "new" may go ----------------


def test_the_suggested_kind_read_from_a_query_is_the_timelines_and_flags_three_stabilization_entries(seeded):
    annotated = {entry.pk: entry for entry in ThreadEntry.objects.with_previous().select_related("commitment")}
    for thread in Thread.objects.with_timeline():
        for step in thread.timeline():
            assert annotated[step.entry.pk].suggested_change_kind() == step.suggested_change_kind()
    differing = ThreadEntry.objects.differing_from_suggestion()
    stabilization = differing.filter(thread__slug="stabilization-funding").order_by("position")
    assert list(stabilization.values_list("position", flat=True)) == [3, 4, 6]


def test_close_wording_is_told_from_rewritten_wording_by_the_share_of_words(seeded):
    def close(slug):
        return {
            step.entry.position: step.wording_is_close()
            for step in Thread.objects.with_timeline().get(slug=slug).timeline()
        }

    stabilization, africa, syria = (
        close("stabilization-funding"),
        close("africa-focus"),
        close("syria-political-settlement-2254"),
    )
    assert stabilization[1] is False  # the first has nothing to be compared with
    assert not stabilization[5] and not stabilization[6]
    assert not africa[3] and not africa[4] and not africa[5]
    assert syria[4]  # "based on" becomes "in accordance with"


def test_a_thread_may_open_with_several_new_commitments_but_new_never_follows_a_changed_one():
    c2016, c2017, c2018, c2019, c2021 = commitments_at_meetings(2016, 2017, 2018, 2019, 2021)
    thread = ThreadFactory()
    place_in_thread(thread=thread, commitment=c2016, change_kind="new")
    place_in_thread(thread=thread, commitment=c2018, change_kind="new")  # one meeting may open it twice
    place_in_thread(thread=thread, commitment=c2019, change_kind="widened")
    with pytest.raises(ValidationError, match="only the commitments that open a recurring pledge are “new”"):
        place_in_thread(thread=thread, commitment=c2021, change_kind="new")
    # Nor may a changed one go before a "new" one.
    with pytest.raises(ValidationError, match="which is marked “new”.* Mark that one with how it changed first"):
        place_in_thread(thread=thread, commitment=c2017, change_kind="repeated")
    assert list(thread.entries.order_by("position").values_list("change_kind", flat=True)) == ["new", "new", "widened"]
