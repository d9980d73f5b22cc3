"""Importing files in the export's own format: preview, all or nothing, re-import, the admin and the command."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.imports import change_reason, import_file
from commitments.models import Commitment, Thread
from meetings.models import Figure

EXPORTS = {
    "commitments": "/api/v1/commitments/?format=csv",
    "figures": "/api/v1/figures/?format=csv",
    "participations": "/api/v1/participations/?format=csv",
    "assessments": "/api/v1/assessments/?format=csv",
}


def exported(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("resource", [*EXPORTS, "thread-entries"])
def test_the_export_imported_again_changes_nothing(seeded, curator_client, curator, resource):
    if resource == "thread-entries":
        urls = [f"/api/v1/threads/{slug}/?format=csv" for slug in Thread.objects.values_list("slug", flat=True)]
    else:
        urls = [EXPORTS[resource]]
    for url in urls:
        result = import_file(exported(curator_client, url), "export.csv", user=curator)
        assert result.errors == []
        assert result.resource == resource
        counts = result.counts()
        assert counts["unchanged"] == len(result.rows) > 0, counts


def edit(data, row, **cells):
    """The CSV `data` with the given cells of data row `row` (0 for the first) replaced."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header = lines[0]
    for name, value in cells.items():
        lines[row + 1][header.index(name)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode("utf-8")


def test_an_edited_cell_is_a_change_field_by_field_and_applies(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    first = Commitment.objects.get(slug="berlin-2016-determination-destroy-daesh")
    edited = edit(data, 0, summary="A new summary.", actor="The Coalition")
    preview = import_file(edited, "commitments.csv", user=curator, dry_run=True)
    changed = [row for row in preview.rows if row.action == "change"]
    assert [(row.number, row.key) for row in changed] == [(2, first.slug)]
    assert sorted(changed[0].changes) == [
        ("actor", first.actor, "The Coalition"),
        ("summary", first.summary, "A new summary."),
    ]
    first.refresh_from_db()
    assert first.summary != "A new summary."  # a preview stores nothing
    result = import_file(edited, "commitments.csv", user=curator)
    assert result.applied
    first.refresh_from_db()
    assert (first.summary, first.actor) == ("A new summary.", "The Coalition")
    record = first.history.latest()
    assert record.history_user == curator
    assert record.history_change_reason == change_reason("commitments.csv", result.sha256)


def test_reimporting_the_same_file_writes_no_history(seeded, curator_client, curator):
    edited = edit(exported(curator_client, EXPORTS["figures"]), 1, note="Checked again.")
    assert import_file(edited, "figures.csv", user=curator).counts()["change"] == 1
    rows = Figure.history.count()
    again = import_file(edited, "figures.csv", user=curator)
    assert again.applied and again.counts()["change"] == again.counts()["create"] == 0
    assert Figure.history.count() == rows


def rows_of(data, count):
    """The header and the first `count` data rows of a CSV file."""
    return b"\r\n".join(data.split(b"\r\n")[: count + 1]) + b"\r\n"


def with_notes(data, suffix):
    """The CSV `data` with `suffix` added to every row's note."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    column = lines[0].index("note")
    for line in lines[1:]:
        line[column] += suffix
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode("utf-8")


def queries_of(data, user):
    with CaptureQueriesContext(connection) as queries:
        result = import_file(data, "commitments.csv", user=user)
    assert result.applied
    return len(queries), result.counts()


def test_a_50_row_file_reads_its_stored_records_in_one_query(seeded, curator_client, curator):
    data = rows_of(exported(curator_client, EXPORTS["commitments"]), 50)
    # The transaction, the 50 stored commitments in one query (with statement and line of effort),
    # and nothing per row: an unchanged row is compared, never written.
    assert queries_of(data, curator) == (5, {"create": 0, "change": 0, "unchanged": 50, "error": 0})


def test_changed_rows_cost_what_the_apis_write_costs_each(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    fifty, counts = queries_of(with_notes(rows_of(data, 50), " (checked)"), curator)
    assert counts["change"] == 50
    # Each changed row is the API's PUT: its slugs looked up, the quote found in its statement's text,
    # full_clean, the check constraints and uniqueness, the save and its history row, in savepoints
    # (22 to 26 queries, as the commitment is in a pledge or not). Measured: 1220 for these 50.
    assert fifty <= 50 * 25
