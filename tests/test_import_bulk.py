"""The commitments import's bulk path (`api.import_bulk`) against the row-by-row path: the same rows,
errors and stored records, history included, on the seed's every commitment (a fast path, docs/benchmark.md)."""

import csv
import io
import json

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from api.imports import import_file
from api.serializers import CommitmentSerializer
from commitments.models import Commitment, ThreadEntry
from tests.test_import import EXPORTS, edit, exported

# What a history row says besides when it was written and its own id (creates' ids may differ on PostgreSQL).
HISTORY_SKIPPED = {"history_id", "history_date", "id"}


def outcome(data, user, *, row_by_row):
    """What importing `data` does, then undone: the rows, the API's JSON of every commitment, the history written."""
    last = Commitment.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
    with transaction.atomic():
        result = import_file(data, "commitments.csv", user=user, row_by_row=row_by_row)
        records = Commitment.objects.order_by("slug")
        stored = json.loads(JSONRenderer().render(CommitmentSerializer(records, many=True).data))
        written = Commitment.history.filter(history_id__gt=last).order_by("slug", "history_type").values()
        history = [{k: v for k, v in row.items() if k not in HISTORY_SKIPPED} for row in written]
        transaction.set_rollback(True)
    rows = [(row.number, row.key, row.action, row.changes, row.errors) for row in result.rows]
    return (result.applied, rows, result.errors), stored, history


def same_either_way(data, user):
    bulk, row_by_row = outcome(data, user, row_by_row=False), outcome(data, user, row_by_row=True)
    assert bulk[0] == row_by_row[0]
    assert bulk[1] == row_by_row[1]
    assert bulk[2] == row_by_row[2]
    return bulk


def with_new_rows(data, count, source=None):
    """The CSV with copies of the first `count` rows of `source` (or of itself) under new slugs: creates."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    copied = list(csv.reader(io.StringIO((source or data).decode("utf-8"), newline="")))
    slug = lines[0].index("slug")
    for line in copied[1 : count + 1]:
        lines.append([*line[:slug], f"{line[slug]}-again", *line[slug + 1 :]])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode("utf-8")


def test_the_seeds_commitments_round_trip_the_same_through_both_paths(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    assert same_either_way(data, curator)[0][1][0][2] == "unchanged"  # every row, nothing changed
    pledged = ThreadEntry.objects.values_list("commitment__slug", flat=True).first()
    slugs = [row[0] for row in csv.reader(io.StringIO(data.decode()))][1:]
    edited = edit(data, 0, summary="A new summary.", actor="The Coalition")
    edited = edit(edited, 1, quote="We condemn these horrific acts")
    edited = edit(edited, 2, amount="5000000", currency="USD", strength="soft")
    edited = edit(edited, 3, note="Checked again.", deadline="2030-12-31", assessable="false")
    edited = edit(edited, slugs.index(pledged), line_of_effort="stabilization", deadline_text="by 2030")
    (applied, rows, errors), stored, history = same_either_way(with_new_rows(edited, 20, data), curator)
    assert applied and errors == [], errors
    actions = [row[2] for row in rows]
    assert actions.count("create") == 20 and actions.count("change") == 5
    assert {(row["history_type"], row["history_user_id"]) for row in history} == {("+", curator.pk), ("~", curator.pk)}
    assert len(history) == 25 and all(
        row["history_change_reason"].startswith("import commitments.csv") for row in history
    )
    assert len(stored) == len(slugs) + 20


def test_a_file_with_errors_is_refused_with_the_same_errors_by_both_paths(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    slugs = [row[0] for row in csv.reader(io.StringIO(data.decode()))][1:]
    in_pledges = set(ThreadEntry.objects.values_list("commitment__slug", flat=True))
    pledged = next(slug for slug in slugs[10:] if slug in in_pledges)
    other = Commitment.objects.exclude(statement__commitments__slug=pledged).values_list("statement__slug", flat=True)
    edited = edit(data, 0, summary="A good change, not stored with the bad rows.")
    edited = edit(edited, 1, quote="We condemn these horrific deeds in the strongest terms.")
    edited = edit(edited, 2, line_of_effort="no-such-line", statement="no-such-statement")
    edited = edit(edited, 3, amount="5", currency="usd")
    edited = edit(edited, 4, amount="5", currency="")  # a check constraint: an amount needs its currency
    edited = edit(edited, 5, currency="EUR", amount="")
    edited = edit(edited, 6, strength="maybe", summary="", actor="x" * 201, deadline="31/12/2030")
    edited = edit(edited, 7, start="-1", end="abc")
    edited = edit(edited, slugs.index(pledged), statement=other.first())  # moving a pledged commitment
    (applied, rows, errors), stored, history = same_either_way(with_new_rows(edited, 12), curator)
    assert not applied and history == []
    refused = {(row, column) for row, column, _ in errors}
    assert {(6, ""), (7, ""), (4, "line_of_effort"), (4, "statement")} <= refused
    assert slugs.index(pledged) + 2 in {row for row, _ in refused}
    assert len({row for row, _ in refused}) >= 10


def test_the_bulk_path_reads_a_fixed_number_of_queries_whatever_the_rows(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    lines = data.split(b"\r\n")

    def queries(count):
        rows = b"\r\n".join(lines[: count + 1]) + b"\r\n"
        with CaptureQueriesContext(connection) as captured:
            result = import_file(with_new_rows(rows, count), "commitments.csv", user=curator)
        assert result.applied and result.counts()["create"] == count
        Commitment.objects.filter(slug__endswith="-again").delete()
        return len(captured)

    queries(5)  # the user's permissions, read once
    # The same reads for 10 rows as for 60; the inserts are batched under the database's limit of
    # parameters (on SQLite the history rows, ~20 columns, go ~49 to an INSERT): not a query per row.
    assert queries(10) <= queries(60) <= queries(10) + 2 < 20


def test_a_bulk_import_tells_the_change_feed_to_read_the_lists_again(seeded, curator_client, curator):
    from changes.models import Action, Change

    data = exported(curator_client, EXPORTS["commitments"])
    before = Change.objects.filter(action=Action.RESET).count()
    assert import_file(data, "commitments.csv", user=curator).applied  # unchanged: nothing written, no reset
    result = import_file(with_new_rows(data, 3), "commitments.csv", user=curator)
    assert result.applied and result.counts()["create"] == 3
    resets = Change.objects.filter(action=Action.RESET).order_by("pk")
    assert resets.count() == before + 1
    assert resets.last().reason.startswith("import commitments.csv (sha256 ")
    assert resets.last().reason.endswith(": 3 commitments created, 0 changed")


def test_new_rows_breaking_each_check_are_refused_by_row_and_column_through_the_bulk_path(
    seeded, curator_client, curator
):
    data = exported(curator_client, EXPORTS["commitments"])
    fresh = with_new_rows(data, 7)
    first = len(data.split(b"\r\n")) - 2  # the first copied row's index among the data rows
    broken = {
        0: {"statement": "no-such-statement"},  # a slug the chunk did not find
        1: {"quote": "Words no statement holds anywhere at all.", "start": "", "end": ""},  # resolve_span
        2: {"strength": "maybe"},  # a choice
        3: {"amount": "5", "currency": ""},  # a check constraint (finish_chunk)
        4: {"amount": "5", "currency": "usd"},  # the model's clean()
        5: {"actor": "x" * 201},  # a length
        6: {"slug": "not a slug!"},  # a slug's characters
    }
    for offset, cells in broken.items():
        fresh = edit(fresh, first + offset, **cells)
    (applied, rows, errors), stored, history = same_either_way(fresh, curator)
    assert not applied and history == []
    # Each new row refused in the column of the check it breaks ("" for the row: the check constraint),
    # and nothing else refused; `same_either_way` holds the messages to the row-by-row path's.
    named = {(row - first - 2, column) for row, column, _ in errors}
    assert named == {
        (0, "statement"),
        (1, "quote"),
        (2, "strength"),
        (3, ""),
        (4, "currency"),
        (5, "actor"),
        (6, "slug"),
    }
    assert [row[2] for row in rows[first:]] == ["error"] * len(broken)
    assert Commitment.objects.filter(slug__endswith="-again").count() == 0


def test_the_bulk_paths_surrogate_check_refuses_what_drfs_refuses_with_its_message():
    from rest_framework.exceptions import ValidationError
    from rest_framework.validators import ProhibitSurrogateCharactersValidator

    from api.import_bulk import PreloadedCommitmentSerializer, SurrogateCheck

    def verdict(check, text):
        try:
            check(text)
        except ValidationError as exc:
            return exc.detail
        return None

    for text in ("", "plain words", "é — “quoted” 😀", "a\ud800b\udfffc", "\udc00", "x" * 500 + "\udbff"):
        assert verdict(SurrogateCheck(), text) == verdict(ProhibitSurrogateCharactersValidator(), text)
    assert verdict(SurrogateCheck(), "a\ud800b\udfffc") == ["Surrogate characters are not allowed: U+D800."]
    serializer = PreloadedCommitmentSerializer(context={"preloaded": {"statement": {}, "line_of_effort": {}}})
    checks = [type(v) for f in serializer.fields.values() for v in f.validators]
    assert SurrogateCheck in checks and ProhibitSurrogateCharactersValidator not in checks
    serializer.instance, serializer.partial = None, True
    try:
        serializer.run_validation({"summary": "A\ud83d summary"})
    except ValidationError as exc:
        assert exc.detail["summary"] == ["Surrogate characters are not allowed: U+D83D."]
    else:
        raise AssertionError("a surrogate was let through")


def test_a_value_repeated_in_many_rows_is_refused_in_each_of_them_through_the_bulk_path(
    seeded, curator_client, curator
):
    # The bulk path checks each distinct accepted value of a column once (`import_bulk.remembered`, and the
    # model fields' `accepted`): a refused value is refused again in every row that gives it, by row and column.
    data = exported(curator_client, EXPORTS["commitments"])
    fresh = with_new_rows(data, 6)
    first = len(data.split(b"\r\n")) - 2
    for offset in range(6):
        bad = {"actor": "x" * 201} if offset % 2 else {"strength": "maybe", "deadline": "31/12/2030"}
        fresh = edit(fresh, first + offset, summary="The same accepted summary.", **bad)
    (applied, rows, errors), stored, history = same_either_way(fresh, curator)
    assert not applied and history == []
    named = sorted((row - first - 2, column) for row, column, _ in errors)
    assert named == sorted(
        [(n, "actor") for n in (1, 3, 5)] + [(n, c) for n in (0, 2, 4) for c in ("strength", "deadline")]
    )
