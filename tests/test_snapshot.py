"""Auditors' snapshots as the auditors use them: the `snapshot` command, the files it writes, the database after."""

import base64
import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from commitments.models import Assessment, Commitment, LineOfEffort, ThreadEntry
from core.texts import sha256_hex
from meetings.models import Figure, Meeting, Member, Statement
from snapshots import export as snapshot_export
from snapshots import restore as snapshot_restore
from snapshots import verify as snapshot_verify
from snapshots.export import write_snapshot_zip
from snapshots.files import app_version, manifest_digest, render_manifest
from snapshots.records import FIXTURE, HISTORY, MANIFEST, curated_models, dump_record, record_key
from snapshots.signing import generate_key_pair, key_id, load_public_key, sign, signing_key
from snapshots.verify import verify_snapshot
from tests.conftest import SEED
from tests.factories import (
    CommitmentFactory,
    LineOfEffortFactory,
    MeetingFactory,
    MemberFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

# A commitment of the seed that no thread or assessment refers to, and one that a thread does.
LONE_COMMITMENT = "berlin-2016-commend-iraq-civilian-safeguards"
THREADED_COMMITMENT = "rome-2021-pledge-drive"


def export(path, *args):
    call_command("snapshot", "export", str(path), *args, verbosity=0)
    return path


def diff_command(*args):
    """Run `snapshot diff ...`; returns (stdout, exit status): 1 when the records differ, as diff(1) exits."""
    out = io.StringIO()
    try:
        call_command("snapshot", "diff", *map(str, args), stdout=out)
    except SystemExit as exited:
        return out.getvalue(), exited.code
    return out.getvalue(), 0


def run_manage(*args):
    """`manage.py ...` in a process of its own, as a user runs it in a checkout (no database is read)."""
    unset = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *map(str, args)],
        cwd=settings.BASE_DIR,
        env={k: v for k, v in os.environ.items() if k not in unset},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def snapshot_command(*args):
    """Run `snapshot ...`; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("snapshot", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def database_state():
    """Every curated row with its primary key: equal only if the database is exactly as it was."""
    return {model._meta.label: list(model._default_manager.order_by("pk").values()) for model in curated_models()}


def empty_curated_tables():
    for model in reversed(curated_models()):
        model._default_manager.all().delete()


def records(path, name=FIXTURE):
    return [json.loads(line) for line in (path / name).read_bytes().splitlines()]


def find_record(path, label, key):
    return next(r for r in records(path) if r["model"] == label and record_key(label, r["fields"]) == key)


def replace_once(path, old, new):
    data = path.read_bytes()
    assert data.count(old) == 1, f"{old!r} occurs {data.count(old)} times in {path.name}"
    path.write_bytes(data.replace(old, new))


def rewrite_records(snapshot_dir, edit):
    """Rewrite the fixture's records through `edit(record) -> record or None` (None drops it)."""
    lines = []
    for record in records(snapshot_dir):
        record = edit(record)
        if record is not None:
            lines.append(dump_record(record["model"], record["fields"]))
    (snapshot_dir / FIXTURE).write_bytes(b"".join(lines))


def reseal(snapshot_dir, *, sign_with=None, **manifest_changes):
    """Recompute the manifest's file digests and its own, as someone covering an edit would.

    The signature stays the exporter's (now over another digest), unless the test signs with a
    private key, as an exporter with a bug, or a thief of the tracker's key, would.
    """
    manifest = json.loads((snapshot_dir / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(manifest_changes)
    for name, entry in manifest["files"].items():
        data = (snapshot_dir / name).read_bytes()
        entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    manifest["snapshot_sha256"] = manifest_digest(manifest)
    if sign_with is not None:
        manifest["signature"] = sign(manifest["snapshot_sha256"], sign_with)
    (snapshot_dir / MANIFEST).write_bytes(render_manifest(manifest))


# --- export: determinism ---------------------------------------------------------------------------


def test_two_exports_of_the_same_data_are_byte_identical(seeded, tmp_path, monkeypatch):
    first = export(tmp_path / "a")
    later = datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    monkeypatch.setattr(snapshot_export.timezone, "now", lambda: later)
    second = export(tmp_path / "b")
    assert (first / FIXTURE).read_bytes() == (second / FIXTURE).read_bytes()
    manifests = [json.loads((p / MANIFEST).read_text(encoding="utf-8")) for p in (first, second)]
    assert manifests[1]["exported_at"] == "2031-01-02T03:04:05+00:00" != manifests[0]["exported_at"]
    # The export time is inside the digest and the signature: those differ with it, and only they.
    assert manifests[0]["snapshot_sha256"] != manifests[1]["snapshot_sha256"]
    assert manifests[0]["signature"]["value"] != manifests[1]["signature"]["value"]
    for manifest in manifests:
        for name in ("exported_at", "snapshot_sha256", "signature"):
            manifest.pop(name)
    assert manifests[0] == manifests[1]


def test_the_export_does_not_depend_on_primary_keys(seeded, tmp_path):
    reference = export(tmp_path / "reference")
    pks = dict(Commitment.objects.values_list("slug", "pk"))
    empty_curated_tables()
    # Shift every sequence, then load each model's records in reverse order, so that both the
    # primary keys and their order differ from a normally loaded database.
    for _ in range(3):
        CommitmentFactory(statement=StatementFactory(), line_of_effort=LineOfEffortFactory())
        MemberFactory()
    empty_curated_tables()
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    models_in_order = list(dict.fromkeys(r["model"] for r in seed))
    reversed_seed = [r for label in models_in_order for r in reversed([r for r in seed if r["model"] == label])]
    (tmp_path / "reversed.json").write_text(json.dumps(reversed_seed), encoding="utf-8")
    call_command("loaddata", str(tmp_path / "reversed.json"), verbosity=0)
    moved = dict(Commitment.objects.values_list("slug", "pk"))
    assert all(moved[slug] != pk for slug, pk in pks.items())
    assert sorted(moved, key=moved.get) != sorted(pks, key=pks.get)

    assert (export(tmp_path / "moved") / FIXTURE).read_bytes() == (reference / FIXTURE).read_bytes()


def test_values_are_written_the_same_whatever_the_engine(tmp_path):
    """Pins the bytes of a small snapshot: the same test passes on SQLite and PostgreSQL."""
    line = LineOfEffort.objects.create(slug="stabilization", name="Stabilization", position=2)
    meeting = Meeting.objects.create(
        slug="rome-2021",
        name="Rome",
        format="ministerial",
        city="Rome",
        country="Italy",
        start_date=datetime.date(2021, 6, 28),
        end_date=datetime.date(2021, 6, 28),
    )
    text = "We pledge $1.5 billion — “now”.\n"
    statement = Statement.objects.create(
        slug="rome-2021-statement", meeting=meeting, kind="statement", title="Rome", issuer="Ministers", text=text
    )
    commitment = Commitment.objects.create(
        slug="rome-pledge",
        statement=statement,
        start=0,
        end=31,
        quote=text[:31],
        line_of_effort=line,
        actor="Ministers",
        strength="binding",
        summary="Pledge",
        assessable=False,
        deadline=datetime.date(2022, 1, 1),
        amount=Decimal("1500000000"),
        currency="USD",
    )
    Figure.objects.create(
        slug="rome-funds", statement=statement, start=10, end=22, quote=text[10:22], metric="funds", unit="USD bn"
    )
    Figure.objects.create(
        slug="rome-funds-value",
        statement=statement,
        start=11,
        end=14,
        quote="1.5",
        metric="funds",
        value=Decimal("1.5"),
        unit="USD bn",
        stage="committed",
        about_from=datetime.date(2021, 1, 1),
        about_to=datetime.date(2021, 6, 30),
    )
    Assessment.objects.create(commitment=commitment, assessed_on=datetime.date(2022, 3, 1), assessor="Analyst")

    expected = (
        '{"fields":{"city":"Rome","country":"Italy","date_precision":"day","draft":false,"end_date":"2021-06-28",'
        '"facts_basis":"text","format":"ministerial","name":"Rome","provenance_note":"","slug":"rome-2021",'
        '"start_date":"2021-06-28"},"model":"meetings.meeting"}\n'
        '{"fields":{"draft":false,"issued_on":null,"issued_on_basis":"text","issuer":"Ministers","kind":"statement",'
        '"meeting":["rome-2021"],"note":"","position":1,"publisher":"",'
        f'"sha256":"{sha256_hex(text)}","slug":"rome-2021-statement","source_file":"","source_url":"",'
        '"text":"We pledge $1.5 billion — “now”.\\n","title":"Rome"},"model":"meetings.statement"}\n'
        '{"fields":{"about_from":null,"about_to":null,"end":22,"metric":"funds","note":"","qualifier":"exact",'
        '"quote":"$1.5 billion","slug":"rome-funds","stage":"","start":10,"statement":["rome-2021-statement"],'
        '"unit":"USD bn","value":null},"model":"meetings.figure"}\n'
        '{"fields":{"about_from":"2021-01-01","about_to":"2021-06-30","end":14,"metric":"funds","note":"",'
        '"qualifier":"exact","quote":"1.5","slug":"rome-funds-value","stage":"committed","start":11,'
        '"statement":["rome-2021-statement"],"unit":"USD bn","value":"1.5000"},"model":"meetings.figure"}\n'
        '{"fields":{"description":"","name":"Stabilization","position":2,"slug":"stabilization"},'
        '"model":"commitments.lineofeffort"}\n'
        '{"fields":{"actor":"Ministers","amount":"1500000000.00","assessable":false,"currency":"USD",'
        '"deadline":"2022-01-01","deadline_text":"","end":31,"line_of_effort":["stabilization"],"note":"",'
        '"quote":"We pledge $1.5 billion — “now”.","slug":"rome-pledge","start":0,'
        '"statement":["rome-2021-statement"],"strength":"binding","summary":"Pledge"},'
        '"model":"commitments.commitment"}\n'
        '{"fields":{"approved_by":"","assessed_on":"2022-03-01","assessor":"Analyst","commitment":["rome-pledge"],'
        '"cycle":null,"drafted_by":"","evidence_url":"","funding_stage":"","note":"","review_state":"draft",'
        '"status":"not-assessed","supersede_reason":"","supersedes":null,"verdict":"not-assessed"},'
        '"model":"commitments.assessment"}\n'
    )
    assert (export(tmp_path / "small") / FIXTURE).read_bytes().decode("utf-8") == expected


def test_the_manifest_holds_counts_digests_migrations_version_and_time(seeded, tmp_path):
    path = export(tmp_path / "snap")
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["counts"]["commitments.commitment"] == Commitment.objects.count()
    assert manifest["files"][FIXTURE]["sha256"] == hashlib.sha256((path / FIXTURE).read_bytes()).hexdigest()
    assert manifest["statements"] == dict(Statement.objects.order_by("slug").values_list("slug", "sha256"))
    assert ["meetings", "0001_initial"] in manifest["migrations"]
    assert manifest["migrations"] == sorted(manifest["migrations"])
    assert manifest["app_version"] == app_version()
    assert datetime.datetime.fromisoformat(manifest["exported_at"]).tzinfo is not None
    assert manifest["format"] == "commitment-tracker-snapshot/2"
    assert manifest["snapshot_sha256"] == manifest_digest(manifest)


def test_the_snapshot_digest_is_the_documented_one_over_the_whole_manifest(seeded, tmp_path, snapshot_signing_key):
    """docs/snapshots.md: SHA-256 of the manifest but its digest and signature, as sorted-key JSON in UTF-8."""
    manifest = json.loads((export(tmp_path / "snap") / MANIFEST).read_text(encoding="utf-8"))
    content = {k: v for k, v in manifest.items() if k not in {"snapshot_sha256", "signature"}}
    assert "exported_at" in content
    recomputed = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    assert manifest["snapshot_sha256"] == recomputed.hexdigest()
    load_public_key(snapshot_signing_key).verify(
        base64.b64decode(manifest["signature"]["value"]), manifest["snapshot_sha256"].encode("ascii")
    )


def test_the_natural_keys_snapshots_use_are_the_models_own(seeded, tmp_path):
    for record in records(export(tmp_path / "snap")):
        model = next(m for m in curated_models() if m._meta.label_lower == record["model"])
        key = record_key(record["model"], record["fields"])
        assert model._default_manager.get_by_natural_key(*key).natural_key() == key


def test_an_export_that_fails_leaves_nothing_behind(seeded, tmp_path, monkeypatch):
    written = []

    def failing_dump(label, fields):
        if len(written) == 100:
            raise RuntimeError("disk full")
        written.append(label)
        return b"{}\n"

    monkeypatch.setattr(snapshot_export, "dump_record", failing_dump)
    with pytest.raises(RuntimeError, match="disk full"):
        export(tmp_path / "snap")
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_a_folder_that_holds_files(seeded, tmp_path):
    (tmp_path / "snap").mkdir()
    (tmp_path / "snap" / "notes.txt").write_text("kept", encoding="utf-8")
    with pytest.raises(CommandError, match="already exists and is not empty"):
        export(tmp_path / "snap")
    assert [p.name for p in (tmp_path / "snap").iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    assert (export(tmp_path / "empty") / MANIFEST).is_file()


def test_progress_counts_for_long_exports_and_restores_and_quiet_at_verbosity_0(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot_export, "PROGRESS_EVERY", 100)
    monkeypatch.setattr(snapshot_restore, "PROGRESS_EVERY", 100)
    out, err = snapshot_command("export", tmp_path / "loud")
    assert "commitments.commitment: 100 of 154" in err
    assert "commitments.commitment: 154 of 154" in err
    assert "commitments.commitment: 154" in out
    quiet_out, quiet_err = snapshot_command("export", tmp_path / "quiet", "--verbosity", "0")
    assert (quiet_out, quiet_err) == ("", "")

    empty_curated_tables()
    out, err = snapshot_command("restore", tmp_path / "loud")
    assert "records: 300 of 468" in err
    assert "Restored 468 records" in out
    empty_curated_tables()
    assert snapshot_command("restore", tmp_path / "quiet", "-v", "0") == ("", "")


# --- verify --------------------------------------------------------------------------------------


def test_an_export_of_the_seed_verifies(seeded, tmp_path):
    out, _ = snapshot_command("verify", export(tmp_path / "snap"))
    assert "verifies: 468 records" in out


def replace_in_commitment_line(path, old, new):
    """Replace `old` (found once there) in the threaded commitment's line only: its quote is evidence too."""
    marker = f'"slug":"{THREADED_COMMITMENT}"'.encode()
    lines = (path / FIXTURE).read_bytes().split(b"\n")
    (index,) = [i for i, line in enumerate(lines) if b'"model":"commitments.commitment"' in line and marker in line]
    assert lines[index].count(old) == 1
    lines[index] = lines[index].replace(old, new)
    (path / FIXTURE).write_bytes(b"\n".join(lines))


def flip_a_quote_byte(path):
    quote = find_record(path, "commitments.commitment", (THREADED_COMMITMENT,))["fields"]["quote"]
    replace_in_commitment_line(
        path, json.dumps(quote, ensure_ascii=False).encode(), json.dumps("X" + quote[1:]).encode()
    )


def make_quote_invalid_utf8(path):
    quote = find_record(path, "commitments.commitment", (THREADED_COMMITMENT,))["fields"]["quote"]
    old = json.dumps(quote, ensure_ascii=False).encode()
    replace_in_commitment_line(path, old, old[:5] + b"\xff" + old[6:])


def remove_a_threaded_commitment(path):
    rewrite_records(path, lambda r: None if r["fields"].get("slug") == THREADED_COMMITMENT else r)


def edit_a_quote_and_reseal(path):
    def edit(record):
        if record["fields"].get("slug") == THREADED_COMMITMENT:
            record["fields"]["quote"] = record["fields"]["quote"].replace("Ministers", "ministers")
        return record

    rewrite_records(path, edit)
    reseal(path)


def edit_a_statement_text_and_reseal(path):
    def edit(record):
        if record["model"] == "meetings.statement" and record["fields"]["slug"] == "paris-2019-roadmap":
            record["fields"]["text"] = record["fields"]["text"].replace("Paris", "Pariss", 1)
        return record

    rewrite_records(path, edit)
    reseal(path)


def edit_the_manifest_counts(path):
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    manifest["counts"]["meetings.member"] += 1
    (path / MANIFEST).write_bytes(render_manifest(manifest))


def make_a_reference_malformed(path):
    def edit(record):
        if record["fields"].get("slug") == THREADED_COMMITMENT:
            record["fields"]["statement"] = [["not", "a", "slug"]]
        return record

    rewrite_records(path, edit)


def make_a_record_keyless(path):
    rewrite_records(path, lambda r: {**r, "fields": {}} if r["fields"].get("slug") == LONE_COMMITMENT else r)


def quote_span(path):
    fields = find_record(path, "commitments.commitment", (THREADED_COMMITMENT,))["fields"]
    return f"{fields['start']}-{fields['end']}"


def threads_of(slug):
    return list(ThreadEntry.objects.filter(commitment__slug=slug).values_list("thread__slug", flat=True))


TAMPER_CASES = {
    "a flipped byte in a quote": (
        flip_a_quote_byte,
        lambda path: [
            f"{FIXTURE}: sha256 mismatch (manifest ",
            f"commitments.commitment {THREADED_COMMITMENT}: quote is not the statement text at {quote_span(path)}",
        ],
    ),
    "a quote byte that is not UTF-8": (
        make_quote_invalid_utf8,
        lambda path: [
            f"commitments.commitment {THREADED_COMMITMENT} ({FIXTURE} line ",
            "not UTF-8 text",
            f"commitments.commitment {THREADED_COMMITMENT}: quote is not the statement text at {quote_span(path)}",
        ],
    ),
    "a removed record": (
        remove_a_threaded_commitment,
        lambda path: [
            f"{FIXTURE}: sha256 mismatch",
            f"commitments.commitment: the manifest counts 154, {FIXTURE} holds 153",
            *(
                f"commitments.threadentry ({thread}, {THREADED_COMMITMENT}): refers to missing "
                f"commitments.commitment {THREADED_COMMITMENT}"
                for thread in threads_of(THREADED_COMMITMENT)
            ),
        ],
    ),
    "an edited quote with the manifest resealed": (
        edit_a_quote_and_reseal,
        lambda path: [
            f"commitments.commitment {THREADED_COMMITMENT}: quote is not the statement text at {quote_span(path)}"
        ],
    ),
    "a statement text that no longer matches its hash": (
        edit_a_statement_text_and_reseal,
        lambda path: [
            "meetings.statement paris-2019-roadmap: text does not match its sha256",
            "meetings.statement paris-2019-roadmap: text does not match the manifest's sha256",
        ],
    ),
    "an edited manifest": (edit_the_manifest_counts, lambda path: [f"{MANIFEST}: snapshot_sha256 mismatch"]),
    "a reference that is not a natural key": (
        make_a_reference_malformed,
        lambda path: [
            f"{FIXTURE}: sha256 mismatch",
            f"commitments.commitment {THREADED_COMMITMENT}: statement is not a meetings.statement natural key",
        ],
    ),
}


@pytest.mark.parametrize("case", TAMPER_CASES)
def test_a_tampered_snapshot_fails_verify_naming_each_problem_and_restore_changes_nothing(seeded, tmp_path, case):
    tamper, expected = TAMPER_CASES[case]
    path = export(tmp_path / "snap")
    messages = expected(path)  # read from the snapshot before it is tampered with
    tamper(path)
    with pytest.raises(CommandError) as failed:
        snapshot_command("verify", path)
    for message in messages:
        assert message in str(failed.value)
    if case == "an edited quote with the manifest resealed":
        assert "sha256 mismatch" not in str(failed.value)

    before = database_state()
    with pytest.raises(CommandError, match="fails verification") as refused:
        snapshot_command("restore", path, "--replace")
    assert messages[-1] in str(refused.value)
    assert database_state() == before


def test_verify_reports_every_failure_not_only_the_first(seeded, tmp_path):
    path = export(tmp_path / "snap")
    edit_a_quote_and_reseal(path)
    edit_a_statement_text_and_reseal(path)
    remove_a_threaded_commitment(path)
    with pytest.raises(CommandError) as failed:
        snapshot_command("verify", path)
    message = str(failed.value)
    assert "text does not match its sha256" in message
    assert "refers to missing commitments.commitment" in message
    assert f"{FIXTURE}: sha256 mismatch" in message


def test_verify_names_a_missing_folder_and_a_folder_that_is_not_a_snapshot(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        snapshot_command("verify", tmp_path / "nowhere")
    with pytest.raises(CommandError, match="is not a snapshot: it has no manifest.json"):
        snapshot_command("verify", tmp_path)
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="is not valid JSON"):
        snapshot_command("verify", tmp_path)
    (tmp_path / MANIFEST).write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(CommandError, match="is not a snapshot of this tracker"):
        snapshot_command("verify", tmp_path)


# --- restore -------------------------------------------------------------------------------------


def test_a_snapshot_loads_with_plain_loaddata_and_exports_byte_identical(seeded, tmp_path):
    original = export(tmp_path / "original")
    empty_curated_tables()
    call_command("loaddata", str(original / FIXTURE), verbosity=0)
    assert (export(tmp_path / "again") / FIXTURE).read_bytes() == (original / FIXTURE).read_bytes()


def test_restore_into_an_empty_database_round_trips(seeded, tmp_path):
    original = export(tmp_path / "original")
    empty_curated_tables()
    out, _ = snapshot_command("restore", original)
    assert "Restored 468 records" in out
    assert (export(tmp_path / "again") / FIXTURE).read_bytes() == (original / FIXTURE).read_bytes()


def test_restore_holds_few_statements_at_a_time_and_round_trips(seeded, tmp_path, monkeypatch):
    """Statement texts are the snapshot's bulk: a restore's chunk reads only a few of them, whatever the size."""
    original = export(tmp_path / "original")
    empty_curated_tables()
    monkeypatch.setattr(snapshot_restore, "WIDE_ROWS_CHUNK_SIZE", 2)
    read = []
    referenced = snapshot_restore._referenced
    monkeypatch.setattr(
        snapshot_restore,
        "_referenced",
        lambda label, keys, using: read.append((label, len(keys))) or referenced(label, keys, using),
    )
    snapshot_command("restore", original)
    statements_read = [n for label, n in read if label == "meetings.statement"]
    assert statements_read and max(statements_read) <= 2
    assert sum(1 for label, _ in read if label == "meetings.statement") > 5  # commitments of 5 statements, split
    assert (export(tmp_path / "again") / FIXTURE).read_bytes() == (original / FIXTURE).read_bytes()


def test_restore_refuses_a_database_that_holds_curated_records_unless_told_to_replace_them(seeded, tmp_path):
    original = export(tmp_path / "original")
    Commitment.objects.filter(slug=LONE_COMMITMENT).update(summary="Edited after the snapshot.")
    MemberFactory(slug="added-after-the-snapshot")
    before = database_state()
    with pytest.raises(CommandError, match="already holds curated records .*use --replace"):
        snapshot_command("restore", original)
    assert database_state() == before

    out, _ = snapshot_command("restore", original, "--replace")
    assert "Deleted 469 curated records first" in out  # the seed and the member added since
    assert not Member.objects.filter(slug="added-after-the-snapshot").exists()
    assert (export(tmp_path / "again") / FIXTURE).read_bytes() == (original / FIXTURE).read_bytes()


def test_a_dry_run_loads_everything_and_keeps_nothing(seeded, tmp_path):
    original = export(tmp_path / "original")
    empty_curated_tables()
    out, _ = snapshot_command("restore", original, "--dry-run")
    assert "Dry run: 468 records" in out
    assert not any(database_state().values())


def break_the_amount_has_currency_constraint(path):
    def edit(record):
        if record["fields"].get("slug") == LONE_COMMITMENT:
            record["fields"].update(amount="100.00", currency="")
        return record

    rewrite_records(path, edit)
    reseal(path, sign_with=signing_key())


@pytest.mark.parametrize("into", ["an empty database", "a database it replaces"])
def test_a_snapshot_that_verifies_but_cannot_load_leaves_the_database_exactly_as_before(seeded, tmp_path, into):
    path = export(tmp_path / "snap")
    break_the_amount_has_currency_constraint(path)  # and signs it again, as an exporter with a bug would
    snapshot_command("verify", path)  # the snapshot is intact: the database refuses the record
    args = ["--replace"] if into == "a database it replaces" else []
    if into == "an empty database":
        empty_curated_tables()
    before = database_state()
    with pytest.raises(CommandError) as refused:
        snapshot_command("restore", path, *args)
    message = str(refused.value)
    assert message.startswith(f"commitments.commitment {LONE_COMMITMENT} ({FIXTURE} line ")
    assert "cannot be loaded (IntegrityError" in message
    assert "commitment_amount_has_currency" in message
    assert message.endswith("the database is unchanged.")
    assert database_state() == before


def test_restore_refuses_a_snapshot_taken_at_migrations_this_database_lacks(seeded, tmp_path):
    path = export(tmp_path / "snap")
    migrations = json.loads((path / MANIFEST).read_text(encoding="utf-8"))["migrations"]
    reseal(path, sign_with=signing_key(), migrations=sorted([*migrations, ["commitments", "9999_from_the_future"]]))
    empty_curated_tables()
    with pytest.raises(CommandError, match=r"lacks \(commitments.9999_from_the_future\): run migrate first"):
        snapshot_command("restore", path)
    assert not any(database_state().values())


# --- diff ----------------------------------------------------------------------------------------


def commitment_form(commitment, **changes):
    """The admin change form of a commitment as a browser posts it, unchanged but for `changes`."""
    data = {
        "slug": commitment.slug,
        "statement": commitment.statement_id,
        "quote": commitment.quote,
        "start": commitment.start,
        "end": commitment.end,
        "line_of_effort": commitment.line_of_effort_id,
        "actor": commitment.actor,
        "strength": commitment.strength,
        "summary": commitment.summary,
        "note": commitment.note,
        "deadline": commitment.deadline or "",
        "deadline_text": commitment.deadline_text,
        "amount": commitment.amount if commitment.amount is not None else "",
        "currency": commitment.currency,
        "thread_entries-TOTAL_FORMS": "0",
        "thread_entries-INITIAL_FORMS": "0",
        "thread_entries-2-TOTAL_FORMS": "0",
        "thread_entries-2-INITIAL_FORMS": "0",
        "assessments-TOTAL_FORMS": "0",
        "assessments-INITIAL_FORMS": "0",
    }
    if commitment.assessable:
        data["assessable"] = "on"
    data.update(changes)
    return data


def test_diff_between_exports_around_an_admin_edit_shows_exactly_that_edit(seeded, curator_client, tmp_path):
    before = export(tmp_path / "before")
    commitment = Commitment.objects.get(slug=LONE_COMMITMENT)
    old_summary = commitment.summary
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    response = curator_client.post(url, commitment_form(commitment, summary="Commend Iraq's civilian safeguards."))
    assert response.status_code == 302
    after = export(tmp_path / "after")

    out, status = diff_command(before, after)
    assert status == 1  # the records differ
    assert out.splitlines()[2:] == [
        f"~ commitments.commitment {LONE_COMMITMENT}",
        f'    summary: {json.dumps(old_summary)} -> "Commend Iraq\'s civilian safeguards."',
        "0 added, 0 removed, 1 changed",
    ]
    out, status = diff_command(before, after, "--json")
    result = json.loads(out)
    assert status == 1
    assert result["summary"] == {"added": 0, "removed": 0, "changed": 1}
    assert result["changed"] == [
        {
            "model": "commitments.commitment",
            "key": [LONE_COMMITMENT],
            "fields": {"summary": {"old": old_summary, "new": "Commend Iraq's civilian safeguards."}},
        }
    ]
    assert (result["added"], result["removed"], result["meta"]) == ([], [], {})


def test_diff_lists_added_and_removed_records_by_natural_key(seeded, tmp_path):
    before = export(tmp_path / "before")
    Figure.objects.filter(slug="paris-2019-roadmap-fig-partners-killed").delete()
    MemberFactory(slug="zambia", name="Zambia")
    after = export(tmp_path / "after")
    out, status = diff_command(before, after)
    assert status == 1
    assert "+ meetings.member zambia" in out
    assert "- meetings.figure paris-2019-roadmap-fig-partners-killed" in out
    assert "1 added, 1 removed, 0 changed" in out
    result = json.loads(diff_command(before, after, "--json")[0])
    assert result["added"] == [
        {
            "model": "meetings.member",
            "key": ["zambia"],
            "fields": find_record(after, "meetings.member", ("zambia",))["fields"],
        }
    ]
    assert [r["key"] for r in result["removed"]] == [["paris-2019-roadmap-fig-partners-killed"]]
    out, status = diff_command(before, before)
    assert (status, out.splitlines()[-1]) == (0, "No differences in the curated records.")
    assert json.loads(diff_command(before, before, "--json")[0])["summary"] == {"added": 0, "removed": 0, "changed": 0}
    assert diff_command(before, before, "--json")[1] == 0


def test_diff_shows_a_long_text_change_around_the_change(tmp_path):
    statement = StatementFactory(text="A" * 500 + " the old words " + "B" * 500)
    before = export(tmp_path / "before")
    Statement.objects.filter(pk=statement.pk).update(text="A" * 500 + " the new words " + "B" * 500)
    out, status = diff_command(before, export(tmp_path / "after"))
    assert status == 1
    text_line = next(line for line in out.splitlines() if line.startswith("    text:"))
    assert "the old words" in text_line and "the new words" in text_line
    assert "(1015 characters)" in text_line
    assert len(text_line) < 300


def test_diff_refuses_a_folder_that_is_not_a_snapshot_with_status_2(seeded, tmp_path):
    with pytest.raises(CommandError, match="is not a snapshot") as refused:
        snapshot_command("diff", export(tmp_path / "snap"), tmp_path)
    assert refused.value.returncode == 2
    broken = export(tmp_path / "broken")
    make_a_record_keyless(broken)
    with pytest.raises(CommandError, match=f"{FIXTURE} line .*: no readable natural key") as refused:
        snapshot_command("diff", tmp_path / "snap", broken)
    assert refused.value.returncode == 2


def test_diff_exits_0_when_the_same_1_when_different_and_2_when_unreadable_as_a_user_runs_it(seeded, tmp_path):
    before = export(tmp_path / "before")
    MemberFactory(slug="zambia", name="Zambia")
    after = export(tmp_path / "after")
    same = run_manage("snapshot", "diff", before, before)
    assert (same.returncode, same.stdout.splitlines()[-1]) == (0, "No differences in the curated records."), same.stderr
    differ = run_manage("snapshot", "diff", before, after)
    assert (differ.returncode, differ.stdout.splitlines()[-1]) == (1, "1 added, 0 removed, 0 changed"), differ.stderr
    assert "+ meetings.member zambia" in differ.stdout
    assert differ.stderr == ""
    unreadable = run_manage("snapshot", "diff", before, tmp_path)
    assert unreadable.returncode == 2
    assert "is not a snapshot: it has no manifest.json" in unreadable.stderr
    assert "Traceback" not in unreadable.stderr


# --- history and the zip stream --------------------------------------------------------------------


def test_history_is_exported_keyed_by_natural_keys_and_usernames(tmp_path, curator):
    statement = StatementFactory(slug="kept-statement")
    commitment = CommitmentFactory(slug="kept-commitment", statement=statement, line_of_effort=LineOfEffortFactory())
    commitment.summary = "Edited by a curator."
    commitment._history_user = curator
    commitment.save()
    # A statement and meeting deleted since: history still names them by the slugs they had.
    gone = StatementFactory(slug="gone-statement", meeting=MeetingFactory(slug="gone-meeting"))
    gone.delete()
    Meeting.objects.filter(slug="gone-meeting").delete()

    path = export(tmp_path / "snap", "--with-history")
    rows = records(path, HISTORY)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["files"][HISTORY]["records"] == len(rows)
    assert manifest["files"][HISTORY]["counts"]["commitments.historicalcommitment"] == 2
    assert all("history_id" not in r["fields"] and "id" not in r["fields"] for r in rows)
    edits = [r["fields"] for r in rows if r["model"] == "commitments.historicalcommitment"]
    assert [(e["history_type"], e["history_user"], e["summary"]) for e in edits] == [
        ("+", None, "Enhance information sharing, including with INTERPOL."),
        ("~", ["curator"], "Edited by a curator."),
    ]
    assert edits[1]["statement"] == ["kept-statement"]
    # Made without a dashboard token: the column is there, empty.
    assert [e["history_token"] for e in edits] == ["", ""]
    deleted = [
        r["fields"]
        for r in rows
        if r["model"] == "meetings.historicalstatement" and r["fields"]["slug"] == "gone-statement"
    ]
    assert [d["history_type"] for d in deleted] == ["+", "-"]
    assert all(d["meeting"] == ["gone-meeting"] for d in deleted)
    assert verify_snapshot(path).ok
    assert (export(tmp_path / "again", "--with-history") / HISTORY).read_bytes() == (path / HISTORY).read_bytes()

    replace_once(path / HISTORY, b'"Edited by a curator."', b'"Edited by someone else"')
    with pytest.raises(CommandError, match=f"{HISTORY}: sha256 mismatch"):
        snapshot_command("verify", path)


def test_the_zip_holds_the_same_snapshot_as_an_export(seeded, tmp_path, monkeypatch):
    # The export time is inside the digest: both are made at one instant, as if a second never ticked between.
    instant = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: instant)
    with open(tmp_path / "snapshot.zip", "wb") as file:
        manifest = write_snapshot_zip(file)
    with zipfile.ZipFile(tmp_path / "snapshot.zip") as archive:
        assert sorted(archive.namelist()) == [FIXTURE, MANIFEST]
        archive.extractall(tmp_path / "unzipped")
    result = verify_snapshot(tmp_path / "unzipped")
    assert result.ok, result.failures
    assert result.origin == "signature"
    exported = export(tmp_path / "exported")
    assert (tmp_path / "unzipped" / FIXTURE).read_bytes() == (exported / FIXTURE).read_bytes()
    assert manifest["snapshot_sha256"] == json.loads((exported / MANIFEST).read_text())["snapshot_sha256"]


def test_a_snapshot_rewritten_and_resealed_whole_is_caught_by_its_signature_and_by_the_kept_digest(seeded, tmp_path):
    path = export(tmp_path / "snap")
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    kept = manifest["snapshot_sha256"]
    out, _ = snapshot_command("verify", path, "--expect-sha256", kept)
    assert "origin: signature" in out

    # A figure nothing refers to, removed, with every count and digest recomputed: self-consistent.
    rewrite_records(path, lambda r: None if r["fields"].get("slug") == "rome-2021-fig-two-years" else r)
    counts = {**manifest["counts"], "meetings.figure": manifest["counts"]["meetings.figure"] - 1}
    reseal(path, counts=counts)
    with pytest.raises(CommandError, match="signature does not match the snapshot's digest"):
        snapshot_command("verify", path)
    with pytest.raises(CommandError, match="not the snapshot that was exported"):
        snapshot_command("verify", path, "--expect-sha256", kept)
    # Only when told that origin is not checked does it check against itself alone, and pass.
    out, _ = snapshot_command("verify", path, "--no-origin-check")
    assert "origin: not checked" in out
    before = database_state()
    for flags in ([], ["--expect-sha256", kept]):
        with pytest.raises(CommandError, match="fails verification"):
            snapshot_command("restore", path, "--replace", *flags)
    assert database_state() == before


def test_an_unsigned_snapshot_needs_its_digest_or_an_explicit_waiver(seeded, tmp_path):
    out, _ = snapshot_command("export", tmp_path / "unsigned", "--unsigned")
    assert "Not signed (--unsigned)" in out
    kept = json.loads((tmp_path / "unsigned" / MANIFEST).read_text(encoding="utf-8"))["snapshot_sha256"]
    with pytest.raises(CommandError, match="the snapshot is unsigned, so its origin cannot be checked"):
        snapshot_command("verify", tmp_path / "unsigned")
    assert "origin: expected sha256" in snapshot_command("verify", tmp_path / "unsigned", "--expect-sha256", kept)[0]
    assert "origin: not checked" in snapshot_command("verify", tmp_path / "unsigned", "--no-origin-check")[0]

    # A signed snapshot stripped of its signature is just as unsigned.
    signed = export(tmp_path / "signed")
    manifest = json.loads((signed / MANIFEST).read_text(encoding="utf-8"))
    del manifest["signature"]
    (signed / MANIFEST).write_bytes(render_manifest(manifest))
    before = database_state()
    with pytest.raises(CommandError, match="unsigned"):
        snapshot_command("restore", signed, "--replace")
    assert database_state() == before


def test_a_snapshot_signed_by_another_key_is_refused_unless_its_public_key_is_given(seeded, tmp_path, settings):
    other_private, other_public, other_id = generate_key_pair(tmp_path / "keys" / "other.pem")
    settings.SNAPSHOT_SIGNING_KEY_FILE = str(other_private)
    path = export(tmp_path / "snap")
    settings.SNAPSHOT_SIGNING_KEY_FILE = ""
    with pytest.raises(CommandError, match=f"signed with key {other_id}, which is not a trusted key"):
        snapshot_command("verify", path)
    assert "origin: signature" in snapshot_command("verify", path, "--public-key", other_public)[0]
    settings.SNAPSHOT_TRUSTED_KEY_FILES = [str(other_public)]
    assert "origin: signature" in snapshot_command("verify", path)[0]


def test_export_needs_a_signing_key_or_an_explicit_unsigned(seeded, tmp_path, settings):
    settings.SNAPSHOT_SIGNING_KEY_FILE = ""
    with pytest.raises(CommandError, match="No snapshot signing key is configured"):
        export(tmp_path / "snap")
    assert not (tmp_path / "snap").exists()
    settings.SNAPSHOT_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    with pytest.raises(CommandError, match="does not exist .*snapshot keygen"):
        export(tmp_path / "snap")
    export(tmp_path / "snap", "--unsigned")


def test_keygen_writes_a_pair_and_never_overwrites_a_key(tmp_path):
    out, _ = snapshot_command("keygen", tmp_path / "tracker.pem")
    assert f"Wrote the private key {tmp_path / 'tracker.pem'}" in out
    assert (tmp_path / "tracker.pem").stat().st_mode & 0o077 == 0
    public = load_public_key(tmp_path / "tracker.pub")
    assert f"Key id {key_id(public)}" in out
    before = (tmp_path / "tracker.pem").read_bytes()
    with pytest.raises(CommandError, match="never overwritten"):
        snapshot_command("keygen", tmp_path / "tracker.pem")
    assert (tmp_path / "tracker.pem").read_bytes() == before


def with_fields(slug, changes):
    def edit(record):
        if record["fields"].get("slug") == slug:
            record["fields"].update(changes)
        return record

    return edit


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"strength": "bogus"}, "strength: Value 'bogus' is not a valid choice."),
        ({"summary": "x" * 5000}, "summary: Ensure this value has at most 300 characters (it has 5000)."),
        ({"currency": "usd", "amount": "5.00"}, "currency: Use the upper-case ISO 4217 code"),
        # Still in snapshot order, so verify passes; no longer a slug.
        ({"slug": f"{LONE_COMMITMENT}!"}, "slug: Enter a valid “slug”"),
    ],
)
def test_restore_refuses_a_signed_record_that_the_admin_or_api_would_refuse(seeded, tmp_path, changes, message):
    # Signed by the tracker's own key after the edit: only the records' own rules can catch it.
    path = export(tmp_path / "snap")
    rewrite_records(path, with_fields(LONE_COMMITMENT, changes))
    reseal(path, sign_with=signing_key())
    snapshot_command("verify", path)
    before = database_state()
    with pytest.raises(CommandError) as refused:
        snapshot_command("restore", path, "--replace")
    name = changes.get("slug", LONE_COMMITMENT)
    assert str(refused.value).startswith(f"commitments.commitment {name} ({FIXTURE} line ")
    assert "is refused, as the admin and the API would refuse it" in str(refused.value)
    assert message in str(refused.value)
    assert str(refused.value).endswith("the database is unchanged.")
    assert database_state() == before


def test_a_record_twice_and_a_reference_to_nothing_are_named(seeded, tmp_path):
    path = export(tmp_path / "snap")
    lines = (path / FIXTURE).read_bytes().splitlines(keepends=True)
    member = next(i for i, line in enumerate(lines) if b'"model":"meetings.member"' in line)
    lines.insert(member, lines[member])  # the same member twice, side by side as sorting puts them
    (path / FIXTURE).write_bytes(b"".join(lines))
    rewrite_records(path, with_fields(LONE_COMMITMENT, {"line_of_effort": ["no-such-line"]}))
    reseal(path, sign_with=signing_key(), counts={**json.loads((path / MANIFEST).read_text())["counts"]})
    with pytest.raises(CommandError) as failed:
        snapshot_command("verify", path)
    message = str(failed.value)
    duplicated = json.loads(lines[member])["fields"]["slug"]
    assert f"meetings.member {duplicated}: appears more than once" in message
    assert (
        f"commitments.commitment {LONE_COMMITMENT}: refers to missing commitments.lineofeffort no-such-line" in message
    )


# --- origin: either check is enough on its own ----------------------------------------------------


def download_snapshot(auditor, tmp_path):
    """The snapshot an auditor downloads from the API, unzipped; returns (folder, the X-Snapshot-* headers)."""
    client = APIClient()
    client.force_authenticate(auditor)
    response = client.get(reverse("api:snapshot"))
    assert response.status_code == 200
    # Reading the stream to its end closes the response (and deletes its temporary file).
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        archive.extractall(tmp_path / "downloaded")
    headers = {name: response[f"X-Snapshot-{name}"] for name in ("SHA256", "Signature", "Key-Id")}
    return tmp_path / "downloaded", headers


def on_a_machine_without_keys(settings):
    settings.SNAPSHOT_SIGNING_KEY_FILE = ""
    settings.SNAPSHOT_TRUSTED_KEY_FILES = []


def test_a_downloaded_snapshot_verifies_and_restores_with_only_its_digest_where_no_key_is_at_hand(
    seeded, auditor, tmp_path, settings
):
    path, headers = download_snapshot(auditor, tmp_path)
    on_a_machine_without_keys(settings)
    not_checked = (
        f"Note: The signature was not checked: the snapshot is signed with key {headers['Key-Id']}, and no trusted "
        "key is at hand for it (trusted keys: none is configured;"
    )

    out, _ = snapshot_command("verify", path, "--expect-sha256", headers["SHA256"])
    assert "verifies: 468 records" in out and "origin: expected sha256." in out
    assert not_checked in out
    # Without either check, the signature alone cannot tie it to the tracker here.
    with pytest.raises(CommandError, match=f"signed with key {headers['Key-Id']}, which is not a trusted key"):
        snapshot_command("verify", path)
    # A digest that is not this snapshot's is refused, signature not checked or not.
    other = hashlib.sha256(b"another snapshot").hexdigest()
    with pytest.raises(CommandError, match=f"not the {other} recorded at export"):
        snapshot_command("verify", path, "--expect-sha256", other)

    empty_curated_tables()
    with pytest.raises(CommandError, match="not the snapshot that was exported"):
        snapshot_command("restore", path, "--expect-sha256", other)
    assert not any(database_state().values())
    out, _ = snapshot_command("restore", path, "--expect-sha256", headers["SHA256"])
    assert "Restored 468 records" in out
    assert not_checked in out
    assert (export(tmp_path / "again", "--unsigned") / FIXTURE).read_bytes() == (path / FIXTURE).read_bytes()


def test_the_public_key_alone_is_enough_where_no_key_is_configured(
    seeded, auditor, tmp_path, settings, snapshot_signing_key
):
    path, _ = download_snapshot(auditor, tmp_path)
    on_a_machine_without_keys(settings)
    out, _ = snapshot_command("verify", path, "--public-key", snapshot_signing_key)
    assert "origin: signature." in out
    assert "Note:" not in out
    empty_curated_tables()
    out, _ = snapshot_command("restore", path, "--public-key", snapshot_signing_key)
    assert "Restored 468 records" in out


def test_a_matching_digest_does_not_excuse_a_signature_that_a_trusted_key_disproves(seeded, tmp_path):
    path = export(tmp_path / "snap")
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    kept = manifest["snapshot_sha256"]
    manifest["signature"]["value"] = base64.b64encode(b"\0" * 64).decode("ascii")
    (path / MANIFEST).write_bytes(render_manifest(manifest))
    with pytest.raises(CommandError, match="the signature does not match the snapshot's digest"):
        snapshot_command("verify", path, "--expect-sha256", kept)


# --- the export time is inside the digest and the signature ----------------------------------------


def change_the_export_time(path, *, reseal_digest=False):
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    manifest["exported_at"] = "2015-01-01T00:00:00+00:00"
    if reseal_digest:
        manifest["snapshot_sha256"] = manifest_digest(manifest)
    (path / MANIFEST).write_bytes(render_manifest(manifest))


@pytest.mark.parametrize("resealed", [False, True], ids=["digest-left", "digest-recomputed"])
def test_a_copy_with_only_its_export_time_changed_is_refused(seeded, tmp_path, resealed):
    path = export(tmp_path / "snap")
    kept = json.loads((path / MANIFEST).read_text(encoding="utf-8"))["snapshot_sha256"]
    change_the_export_time(path, reseal_digest=resealed)
    expected = "signature does not match the snapshot's digest" if resealed else "snapshot_sha256 mismatch"
    for flags in ([], ["--expect-sha256", kept]):
        with pytest.raises(CommandError, match="fails verification") as refused:
            snapshot_command("verify", path, *flags)
        assert expected in str(refused.value)
    with pytest.raises(CommandError, match="not the snapshot that was exported"):
        snapshot_command("verify", path, "--expect-sha256", kept)
    before = database_state()
    for flags in ([], ["--expect-sha256", kept]):
        with pytest.raises(CommandError, match="fails verification"):
            snapshot_command("restore", path, "--replace", *flags)
    assert database_state() == before


# --- snapshots of the previous format ---------------------------------------------------------------

FORMAT_1 = "commitment-tracker-snapshot/1"


def as_format_1(path, *, sign_it=True):
    """Rewrite a snapshot's manifest as the previous format sealed it: its export time outside the digest."""
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    manifest["format"] = FORMAT_1
    content = {k: v for k, v in manifest.items() if k not in {"exported_at", "snapshot_sha256", "signature"}}
    manifest["snapshot_sha256"] = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    if sign_it:
        manifest["signature"] = sign(manifest["snapshot_sha256"], signing_key())
    (path / MANIFEST).write_bytes(render_manifest(manifest))
    return manifest["snapshot_sha256"]


def test_a_snapshot_of_the_previous_format_still_verifies_and_restores_saying_its_time_is_not_covered(seeded, tmp_path):
    path = export(tmp_path / "old")
    kept = as_format_1(path)
    for flags in ([], ["--expect-sha256", kept]):
        out, _ = snapshot_command("verify", path, *flags)
        assert "verifies: 468 records" in out
        assert (f"Note: This snapshot is of the previous format ({FORMAT_1}): its export time (exported_at ") in out
        assert "is not covered by its digest or signature; everything else in it is." in out
    empty_curated_tables()
    out, _ = snapshot_command("restore", path)
    assert "Restored 468 records" in out and f"previous format ({FORMAT_1})" in out


def test_a_current_snapshot_relabelled_as_the_previous_format_is_refused(seeded, tmp_path):
    path = export(tmp_path / "snap")
    kept = json.loads((path / MANIFEST).read_text(encoding="utf-8"))["snapshot_sha256"]
    as_format_1(path, sign_it=False)  # to leave its export time outside the digest; the signature stays
    change_the_export_time(path)
    with pytest.raises(CommandError, match="signature does not match the snapshot's digest"):
        snapshot_command("verify", path)
    with pytest.raises(CommandError, match="not the snapshot that was exported"):
        snapshot_command("verify", path, "--expect-sha256", kept)


def test_a_snapshot_of_an_unknown_format_is_refused_naming_the_formats_read(seeded, tmp_path):
    path = export(tmp_path / "snap")
    replace_once(path / MANIFEST, b'"commitment-tracker-snapshot/2"', b'"commitment-tracker-snapshot/3"')
    message = (
        "is not a snapshot of this tracker: format 'commitment-tracker-snapshot/3', "
        "expected 'commitment-tracker-snapshot/2' or 'commitment-tracker-snapshot/1'"
    )
    for action in ("verify", "restore"):
        with pytest.raises(CommandError, match=message):
            snapshot_command(action, path, *(["--replace"] if action == "restore" else []))


# --- progress and an early refusal ------------------------------------------------------------------


def test_verify_tells_each_step_and_counts_on_stderr_and_is_quiet_at_verbosity_0(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot_verify, "PROGRESS_EVERY", 100)
    path = export(tmp_path / "snap", "--with-history")
    out, err = snapshot_command("verify", path)
    assert "verifies: 468 records" in out
    assert err.splitlines() == [
        f"Checking the origin and manifest of {path} ...",
        f"Checking the digest of {FIXTURE} ({(path / FIXTURE).stat().st_size:,} bytes) ...",
        f"Checking the digest of {HISTORY} ({(path / HISTORY).stat().st_size:,} bytes) ...",
        f"Reading the records of {FIXTURE}: fields, order, statement texts (pass 1 of 2) ...",
        f"  {FIXTURE} pass 1: 100 of 468",
        f"  {FIXTURE} pass 1: 200 of 468",
        f"  {FIXTURE} pass 1: 300 of 468",
        f"  {FIXTURE} pass 1: 400 of 468",
        f"  {FIXTURE} pass 1: 468 of 468",
        f"Checking the quotes and references of {FIXTURE} (pass 2 of 2) ...",
        f"  {FIXTURE} pass 2: 100 of 468",
        f"  {FIXTURE} pass 2: 200 of 468",
        f"  {FIXTURE} pass 2: 300 of 468",
        f"  {FIXTURE} pass 2: 400 of 468",
        f"  {FIXTURE} pass 2: 468 of 468",
        "Checking the threads' rules (meeting order, the opening entry) ...",
        f"Checking the records of {HISTORY} ...",
    ]
    assert snapshot_command("verify", path, "-v", "0") == ("", "")


def test_restore_refuses_a_database_holding_records_before_it_reads_the_snapshot(seeded, tmp_path, monkeypatch):
    path = export(tmp_path / "snap")
    flip_a_quote_byte(path)  # verify would fail: the refusal must come first
    before = database_state()
    with pytest.raises(CommandError, match="already holds curated records .*use --replace") as refused:
        snapshot_command("restore", path)
    assert "fails verification" not in str(refused.value)
    with pytest.raises(CommandError, match="already holds curated records"):
        snapshot_command("restore", path, "--dry-run")
    assert database_state() == before
    # With --replace it goes on to verify, and refuses the snapshot itself.
    with pytest.raises(CommandError, match="fails verification"):
        snapshot_command("restore", path, "--replace")
    assert database_state() == before
