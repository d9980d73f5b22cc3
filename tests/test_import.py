"""Importing files in the export's own format: preview, all or nothing, re-import, the admin and the command."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.import_files import Table
from api.imports import change_reason, import_file
from commitments.models import Assessment, AssessmentEvidence, Commitment, Thread
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


def queries_of(data, user, row_by_row=False):
    with CaptureQueriesContext(connection) as queries:
        result = import_file(data, "commitments.csv", user=user, row_by_row=row_by_row)
    assert result.applied
    return len(queries), result.counts()


def test_a_50_row_file_reads_its_stored_records_in_one_query(seeded, curator_client, curator):
    data = rows_of(exported(curator_client, EXPORTS["commitments"]), 50)
    # The transaction, the 50 stored commitments in one query (with statement and line of effort),
    # and nothing per row: an unchanged row is compared, never written.
    assert queries_of(data, curator) == (5, {"create": 0, "change": 0, "unchanged": 50, "error": 0})


def test_changed_rows_cost_what_the_apis_write_costs_each(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    fifty, counts = queries_of(with_notes(rows_of(data, 50), " (checked)"), curator, row_by_row=True)
    assert counts["change"] == 50
    # Each changed row is the API's PUT: its slugs looked up, the quote found in its statement's text,
    # full_clean, the check constraints and uniqueness, the save and its history row, in savepoints
    # (22 to 26 queries, as the commitment is in a pledge or not), and the change feed's record of the
    # write and of its parents' new versions (changes.recording). Measured: 1472 for these 50.
    assert fifty <= 50 * 30
    # The bulk path (tests/test_import_bulk.py) validates the same rows in a few queries a chunk.
    assert queries_of(with_notes(rows_of(data, 50), " (again)"), curator)[0] < 20


def refused(data, user, name="file.csv"):
    """The errors of an import that must store nothing, as {(row, column): message}."""
    result = import_file(data, name, user=user)
    assert not result.applied and result.errors
    return {(row, column): message for row, column, message in result.errors}


def test_every_error_is_named_by_row_and_column_and_nothing_is_stored(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    history = Commitment.history.count()
    stored = list(Commitment.objects.order_by("pk").values())
    data = edit(data, 0, summary="A good change, not stored with the bad rows.")
    data = edit(data, 1, quote="We condemn these horrific deeds in the strongest terms.")
    data = edit(data, 2, line_of_effort="no-such-line")
    data = edit(data, 3, amount="5", currency="usd")
    errors = refused(data, curator)
    assert set(errors) == {(3, "quote"), (4, "line_of_effort"), (5, "currency")}
    assert "is not in the text" in errors[(3, "quote")]
    assert "from there the text reads “acts in the strongest terms.…” where the quote has “deeds" in errors[3, "quote"]
    assert "no-such-line" in errors[(4, "line_of_effort")]
    assert "upper-case" in errors[(5, "currency")]
    assert list(Commitment.objects.order_by("pk").values()) == stored
    assert Commitment.history.count() == history


def test_a_quote_found_in_several_places_lists_them_as_the_paste_form_does(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["figures"])
    errors = refused(edit(data, 0, quote="Coalition", start="", end=""), curator)
    message = errors[(2, "quote")]
    assert message.startswith("This quote occurs ") and "Give the start offset (`start`)" in message
    assert message.count("at offset ") >= 2


def test_a_pasted_quote_is_found_with_the_texts_own_characters(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    stored = Commitment.objects.get(slug="berlin-2016-determination-destroy-daesh")
    pasted = stored.quote.replace("’", "'")  # as copied from a PDF: a straight apostrophe
    result = import_file(edit(data, 0, quote=pasted), "commitments.csv", user=curator)
    assert result.applied and result.counts()["change"] == 0


def test_a_new_quote_is_found_afresh_when_its_old_offsets_are_left_as_they_were(seeded, curator_client, curator):
    data = exported(curator_client, EXPORTS["commitments"])
    stored = Commitment.objects.get(slug="berlin-2016-condemn-atrocities")
    shorter = "We condemn these horrific acts"
    result = import_file(edit(data, 1, quote=shorter), "commitments.csv", user=curator)
    assert result.applied
    assert result.rows[1].changes == [
        ("quote", stored.quote, shorter),
        ("end", str(stored.end), str(stored.start + len(shorter))),
    ]


def test_unknown_columns_and_files_are_refused_at_row_1(seeded, curator, curator_client):
    assert refused(b"name,colour\r\nx,y\r\n", curator)[(1, "")].startswith("The header is not the export of any of")
    data = exported(curator_client, EXPORTS["figures"]).replace(b",note\r\n", b",notes\r\n", 1)
    assert refused(data, curator) == {(1, "notes"): "“notes” is not a column of the figures export."}
    assert "not UTF-8" in refused(b"\xff\xfe\x00", curator)[(1, "")]


def test_a_row_naming_a_record_twice_is_refused(seeded, curator_client, curator):
    data = rows_of(exported(curator_client, EXPORTS["figures"]), 1)
    data += data.split(b"\r\n", 1)[1]
    assert refused(data, curator) == {(3, ""): "The same record as row 2."}


def test_a_new_row_is_created_and_a_thread_rule_is_kept(seeded, curator_client, curator):
    thread = Thread.objects.get(slug="partner-force-support")
    timeline = exported(curator_client, f"/api/v1/threads/{thread.slug}/?format=csv")
    errors = refused(edit(timeline, 0, change_kind="widened"), curator)
    assert "so its change kind must be “new”" in errors[(2, "change_kind")]
    figures = rows_of(exported(curator_client, EXPORTS["figures"]), 1)
    created = edit(figures, 0, slug="berlin-2016-fig-iraqi-returns-again", note="A second reading.")
    result = import_file(created, "figures.csv", user=curator)
    assert result.applied and [row.action for row in result.rows] == ["create"]
    figure = Figure.objects.get(slug="berlin-2016-fig-iraqi-returns-again")
    assert (figure.history.get().history_user, figure.note) == (curator, "A second reading.")


def test_a_placement_changed_in_a_timeline_applies_through_place_in_thread(seeded, curator_client, curator):
    thread = Thread.objects.get(slug="partner-force-support")
    timeline = exported(curator_client, f"/api/v1/threads/{thread.slug}/?format=csv")
    before = thread.entries.get(position=2).note
    result = import_file(edit(timeline, 1, note="Noted again."), "timeline.csv", user=curator)
    assert result.applied
    assert [(row.number, row.changes) for row in result.rows if row.action == "change"] == [
        (3, [("note", before, "Noted again.")])
    ]
    assert thread.entries.get(position=2).history.latest().history_user == curator


def test_an_assessment_needs_its_evidence_and_a_new_one_is_a_draft_by_the_importer(seeded, curator_client, curator):
    data = rows_of(exported(curator_client, EXPORTS["assessments"]), 1)
    errors = refused(edit(data, 0, evidence=""), curator)
    assert "needs at least one evidence item" in errors[(2, "verdict")]
    errors = refused(edit(data, 0, evidence="no-such-evidence:relied on"), curator)
    assert errors[(2, "evidence")] == "No evidence item “no-such-evidence”: evidence is added in the admin first."
    later = edit(data, 0, assessed_on="2019-06-24", note="Read again.")
    result = import_file(later, "assessments.csv", user=curator)
    assert result.errors == [] and [row.action for row in result.rows] == ["create"]
    assessment = Assessment.objects.get_by_key("berlin-2016-determination-destroy-daesh@2019-06-24")
    assert (assessment.review_state, assessment.drafted_by) == ("draft", "curator")
    assert assessment.evidence_links.count() == 3
    again = import_file(later, "assessments.csv", user=curator)
    assert again.applied and again.counts()["unchanged"] == 1


def test_an_assessments_relied_on_is_changed_in_its_evidence_cell(seeded, curator_client, curator):
    data = rows_of(exported(curator_client, EXPORTS["assessments"]), 1)
    edited = data.replace(b"Berlin's word.", b"Berlin's own word.")
    result = import_file(edited, "assessments.csv", user=curator)
    assert result.applied and [column for column, _, _ in result.rows[0].changes] == ["evidence"]
    link = AssessmentEvidence.objects.get(relied_on__endswith="own word.")
    assert link.assessment.key() == "berlin-2016-determination-destroy-daesh@2019-06-25"


def as_xlsx(data, numbers=()):
    """The CSV `data` as an XLSX workbook, every cell text but the `numbers` columns, written as numbers."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    for number, line in enumerate(lines):
        sheet.append([float(v) if number and lines[0][i] in numbers and v else v for i, v in enumerate(line)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_xlsx_copy_of_the_csv_imports_the_same(seeded, curator_client, curator):
    data = edit(exported(curator_client, EXPORTS["figures"]), 0, note="Edited in a spreadsheet.")
    from_csv = import_file(data, "figures.csv", user=curator, dry_run=True)
    workbook = as_xlsx(data, numbers=("value", "start", "end"))
    from_xlsx = import_file(workbook, "figures.xlsx", user=curator)
    assert from_xlsx.applied
    assert [(r.number, r.action, r.changes) for r in from_xlsx.rows] == [
        (r.number, r.action, r.changes) for r in from_csv.rows
    ]
    assert from_xlsx.counts()["change"] == 1
    assert Figure.objects.get(slug="berlin-2016-fig-iraqi-returns").note == "Edited in a spreadsheet."


def run_command(*args):
    """`manage.py import ...` in this process: (exit status, stdout, stderr).

    A CommandError is what manage.py exits with status `returncode` for, its message on stderr.
    """
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("import", *map(str, args), stdout=stdout, stderr=stderr)
        status = 0
    except CommandError as exc:
        status = exc.returncode
        stderr.write(f"CommandError: {exc}\n")
    return status, stdout.getvalue(), stderr.getvalue()


def test_the_command_prints_the_preview_and_exits_by_it(seeded, curator_client, curator, tmp_path):
    path = tmp_path / "commitments.csv"
    data = exported(curator_client, EXPORTS["commitments"])
    path.write_bytes(edit(data, 0, actor="The Coalition"))
    status, out, err = run_command(path, "--dry-run", "--user", "curator")
    assert status == 0
    lines = out.splitlines()
    assert lines[1:4] == [
        "row 2 berlin-2016-determination-destroy-daesh: change",
        "    actor: “the Coalition (Small Group members)” → “The Coalition”",
        "154 rows: 0 to create, 1 to change, 153 unchanged, 0 refused.",
    ]
    assert lines[-1] == "Dry run: nothing stored."
    assert err == ""  # under 500 rows: no progress lines
    assert run_command(path, "--dry-run", "--verbosity", "0")[:2] == (
        0,
        "154 rows: 0 to create, 1 to change, 153 unchanged, 0 refused.\nDry run: nothing stored.\n",
    )
    status, out, _ = run_command(path, "--user", "curator")
    assert status == 0 and out.splitlines()[-1] == "Imported commitments.csv."
    commitment = Commitment.objects.get(slug="berlin-2016-determination-destroy-daesh")
    assert commitment.history.latest().history_user == curator
    path.write_bytes(edit(data, 0, line_of_effort="no-such-line"))
    status, out, err = run_command(path)
    assert status == 1
    assert "    line_of_effort: Object with slug=no-such-line does not exist." in out.splitlines()
    assert "CommandError: Nothing stored: 1 error, listed above by row and column." in err


def test_the_command_shows_progress_for_long_files(seeded, curator_client, tmp_path):
    data = exported(curator_client, EXPORTS["commitments"])
    body = data.split(b"\r\n", 1)[1]
    path = tmp_path / "long.csv"
    # The seed's 154 commitments four times: refused (the same record as an earlier row), every row read.
    path.write_bytes(data + body * 3)
    status, _, err = run_command(path, "--dry-run")
    assert status == 1
    assert [line for line in err.splitlines() if line.startswith("rows")] == ["rows 500/616", "rows 616/616"]


@pytest.fixture(autouse=True)
def uploads(tmp_path, monkeypatch):
    """The admin keeps previewed files in a folder of this test's own."""
    monkeypatch.setattr("api.import_admin.UPLOADS", tmp_path / "uploads")
    return tmp_path / "uploads"


def test_an_import_needs_the_right_to_add_and_change_its_resource(seeded, curator_client, auditor):
    data = exported(curator_client, EXPORTS["figures"])
    assert refused(data, auditor) == {(1, ""): "auditor may not add or change figures."}


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_the_admin_home_links_the_import_page_for_curators_only(seeded, curator_client, auditor, client):
    home = curator_client.get("/admin/")
    assert 'href="/admin/import/"' in home.content.decode()
    assert curator_client.get("/admin/import/").status_code == 200
    client.force_login(auditor)
    assert 'href="/admin/import/"' not in client.get("/admin/").content.decode()
    assert client.get("/admin/import/").status_code == 403
    client.logout()
    assert client.get("/admin/import/")["Location"].startswith("/admin/login/")


def preview(client, name, data):
    response = client.post("/admin/import/", {"file": upload(name, data)})
    assert response.status_code == 200
    return response, response.context["token"]


def test_the_admin_previews_then_imports_on_confirm(seeded, curator_client, curator, uploads):
    data = edit(exported(curator_client, EXPORTS["commitments"]), 0, actor="The Coalition")
    response, token = preview(curator_client, "commitments.csv", data)
    page = response.content.decode()
    assert "154 rows: 0 to create, 1 to change, 153 unchanged, 0 refused." in page
    assert '<td rowspan="1">berlin-2016-determination-destroy-daesh</td>' in page
    assert (
        '<td class="column">actor</td><td class="old cell">the Coalition (Small Group members)</td>'
        '<td class="cell">The Coalition</td>'
    ) in page
    commitment = Commitment.objects.get(slug="berlin-2016-determination-destroy-daesh")
    assert commitment.actor != "The Coalition"  # the preview stores nothing
    assert (uploads / Table.digest(data)).read_bytes() == data  # the bytes previewed, kept to be imported
    response = curator_client.post("/admin/import/", {"token": token}, follow=True)
    assert not (uploads / Table.digest(data)).exists()
    assert "Imported commitments.csv: 0 created, 1 changed, 153 unchanged." in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.actor == "The Coalition"
    record = commitment.history.latest()
    assert (record.history_user, record.history_change_reason) == (
        curator,
        change_reason("commitments.csv", Table.digest(data)),
    )


def test_the_admin_refuses_a_stale_preview(seeded, curator_client):
    data = edit(exported(curator_client, EXPORTS["figures"]), 0, note="From the file.")
    _, token = preview(curator_client, "figures.csv", data)
    Figure.objects.filter(slug="berlin-2016-fig-iraqi-returns").update(note="Changed meanwhile.")
    response = curator_client.post("/admin/import/", {"token": token})
    page = response.content.decode()
    assert "The records changed since the preview: nothing was stored." in page
    assert Figure.objects.get(slug="berlin-2016-fig-iraqi-returns").note == "Changed meanwhile."
    assert "Changed meanwhile." in page  # the new preview: now → in the file
    response = curator_client.post("/admin/import/", {"token": response.context["token"]}, follow=True)
    assert "Imported figures.csv" in response.content.decode()
    assert Figure.objects.get(slug="berlin-2016-fig-iraqi-returns").note == "From the file."


def test_the_admin_shows_errors_and_offers_no_confirm(seeded, curator_client):
    data = edit(exported(curator_client, EXPORTS["figures"]), 0, statement="no-such-statement")
    response, token = preview(curator_client, "figures.csv", data)
    page = response.content.decode()
    assert token is None and 'name="token"' not in page
    assert "1 error: nothing will be stored." in page
    assert "<b>statement</b>: Object with slug=no-such-statement does not exist." in page


def test_the_admin_refuses_an_altered_token(seeded, curator_client):
    response = curator_client.post("/admin/import/", {"token": "forged"}, follow=True)
    assert "This preview is too old or was altered" in response.content.decode()


def test_the_admin_refuses_to_confirm_bytes_other_than_those_previewed(seeded, curator_client, uploads):
    data = edit(exported(curator_client, EXPORTS["figures"]), 0, note="From the file.")
    _, token = preview(curator_client, "figures.csv", data)
    (uploads / Table.digest(data)).write_bytes(data.replace(b"From the file.", b"Swapped after."))
    response = curator_client.post("/admin/import/", {"token": token}, follow=True)
    assert "The previewed file is no longer on the server: upload it again." in response.content.decode()
    assert Figure.objects.get(slug="berlin-2016-fig-iraqi-returns").note != "Swapped after."


def test_the_pledge_matrix_is_read_as_places_in_pledges(seeded, curator_client, curator):
    matrix = exported(curator_client, "/api/v1/aggregates/pledge-matrix/?format=csv")
    result = import_file(matrix, "pledge-matrix.csv", user=curator)
    assert result.resource == "thread-entries" and result.errors == []
    assert result.counts()["unchanged"] == len(result.rows) > 20


def test_an_evidence_item_left_out_of_the_cell_is_taken_off_the_assessment(seeded, curator_client, curator):
    data = rows_of(exported(curator_client, EXPORTS["assessments"]), 1)
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    column = lines[0].index("evidence")
    kept = lines[1][column].split("; paris-2019-roadmap-2849-2958:")[0]
    result = import_file(edit(data, 0, evidence=kept), "assessments.csv", user=curator)
    assert result.applied
    assessment = Assessment.objects.get_by_key("berlin-2016-determination-destroy-daesh@2019-06-25")
    assert sorted(assessment.evidence_links.values_list("evidence__slug", flat=True)) == [
        "paris-2019-roadmap-1272-1385",
        "paris-2019-roadmap-2195-2339",
    ]


def test_member_scores_and_money_cells_are_compared_never_ignored(seeded, curator_client, curator):
    """The assessments export writes each one's member scores and money; the import does not write them
    (they are curated on the assessment's page), so an edited cell is refused by row and column."""
    data = exported(curator_client, EXPORTS["assessments"])
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header = lines[0]
    assert {"member_scores", "money"} <= set(header)
    before = AssessmentEvidence.objects.count(), Assessment.objects.count()
    edited = edit(data, 0, member_scores="libya:1:Paid in full.", money="pledged:5:USD")
    errors = refused(edited, curator)
    assert set(errors) == {(2, "member_scores"), (2, "money")}
    assert errors[(2, "member_scores")].startswith("The import does not write “member_scores”: change them on")
    assert (AssessmentEvidence.objects.count(), Assessment.objects.count()) == before
    # Left as exported, the columns change nothing: the round trip still imports exactly the edited cell.
    result = import_file(edit(data, 0, note="Read again."), "assessments.csv", user=curator)
    assert result.applied and [(r.action, [c for c, _, _ in r.changes]) for r in result.rows if r.changes] == [
        ("change", ["note"])
    ]
    # A new assessment's row (a copy under another date) may not bring scores of its own.
    copy = edit(rows_of(data, 1), 0, assessed_on="2019-06-24", member_scores="libya:1:Paid in full.")
    errors = refused(copy, curator)
    assert (
        list(errors) == [(2, "member_scores")]
        and "once it is imported, and leave the column empty" in errors[(2, "member_scores")]
    )
