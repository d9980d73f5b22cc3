"""Management commands as a user runs them: output, files written, clear errors."""

import json
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

CURATION = Path(settings.BASE_DIR) / "fixtures" / "curation"


@pytest.fixture
def curation(tmp_path):
    """A copy of the curation files that a test may break."""
    return Path(shutil.copytree(CURATION, tmp_path / "curation"))


def build(curation, sources, tmp_path, *args):
    output = tmp_path / "seed.json"
    call_command("build_seed", "--curation", str(curation), "--sources", str(sources), "--output", str(output), *args)
    return output


def test_build_seed_writes_the_fixture_and_reports_counts(curation, sources_dir, tmp_path, capsys):
    output = build(curation, sources_dir, tmp_path)
    out = capsys.readouterr().out
    records = json.loads(output.read_text(encoding="utf-8"))
    commitments = sum(r["model"] == "commitments.commitment" for r in records)
    assert f"commitments.commitment: {commitments}" in out
    assert output.read_bytes() == (Path(settings.BASE_DIR) / "fixtures" / "seed.json").read_bytes()


def test_build_seed_names_every_quote_that_is_not_in_its_statement(curation, sources_dir, tmp_path):
    path = curation / "copenhagen-2020-statement.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("almost 8 million people", "almost 9 million people", 1), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        build(curation, sources_dir, tmp_path)
    assert "copenhagen-2020-fig-people-freed" in str(error.value)
    assert "quote not found" in str(error.value)
    assert not (tmp_path / "seed.json").exists()


def test_build_seed_refuses_a_thread_opened_by_a_pledge_not_marked_new(curation, sources_dir, tmp_path):
    path = curation / "berlin-2016-joint-statement.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("change: new", "change: repeated"), encoding="utf-8")
    opened = "“berlin-2016-ftf-information-sharing-interpol” opens it but is marked “repeated”, not “new”"
    with pytest.raises(CommandError, match=opened):
        build(curation, sources_dir, tmp_path)


@pytest.mark.parametrize(("content", "message"), [(b"", "is empty"), (b"\x00\x01binary", "NUL bytes")])
def test_build_seed_refuses_empty_or_binary_statement_files(curation, sources_dir, tmp_path, content, message):
    sources = Path(shutil.copytree(sources_dir, tmp_path / "sources"))
    (sources / "2019-06-paris-readout.txt").write_bytes(content)
    with pytest.raises(CommandError, match=message):
        build(curation, sources, tmp_path)


def test_build_seed_check_fails_on_an_out_of_date_fixture(curation, sources_dir, tmp_path):
    output = build(curation, sources_dir, tmp_path)
    output.write_text("[]", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        build(curation, sources_dir, tmp_path, "--check")


def test_build_seed_reports_a_missing_sources_folder(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("build_seed", "--sources", str(tmp_path / "nowhere"), "--check")


@pytest.mark.django_db
@pytest.mark.parametrize(("debug", "local_database"), [(False, True), (False, False), (True, False)])
def test_the_development_account_is_refused_outside_local_development(settings, debug, local_database):
    settings.DEBUG = debug
    settings.LOCAL_DEVELOPMENT_DATABASE = local_database
    with pytest.raises(CommandError, match="only for the local development set-up"):
        call_command("ensure_dev_user")
    assert not get_user_model().objects.filter(username="dev").exists()


@pytest.mark.django_db
def test_the_development_account_is_created_once_in_local_development(settings, capsys):
    settings.DEBUG = True
    settings.LOCAL_DEVELOPMENT_DATABASE = True
    call_command("ensure_dev_user")
    call_command("ensure_dev_user")
    out = capsys.readouterr().out
    assert "created: user 'dev', password 'dev'" in out
    assert "already there" in out
    user = get_user_model().objects.get(username="dev")
    assert user.is_superuser and user.check_password("dev")


@pytest.mark.django_db
def test_setup_roles_is_idempotent_and_gives_auditors_read_only_rights(capsys):
    call_command("setup_roles")
    call_command("setup_roles")
    from django.contrib.auth.models import Group

    auditors = Group.objects.get(name="auditors")
    assert auditors.permissions.exists()
    assert not auditors.permissions.exclude(codename__startswith="view_").exists()
    assert "curators:" in capsys.readouterr().out


@pytest.mark.django_db
def test_load_seed_fills_an_empty_database_and_never_overwrites_edits(capsys):
    from meetings.models import Meeting

    call_command("load_seed")
    assert Meeting.objects.count() == 4
    Meeting.objects.filter(slug="berlin-2016-small-group").update(city="Berlin (edited)")
    call_command("load_seed")
    assert "seed not loaded" in capsys.readouterr().out
    assert Meeting.objects.get(slug="berlin-2016-small-group").city == "Berlin (edited)"


def test_build_seed_refuses_unknown_keys_such_as_a_yaml_mapping_split_at_a_comma(curation, sources_dir, tmp_path):
    path = curation / "vocabulary.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('"Detainees, justice and accountability"', "Detainees, justice and accountability"),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="unknown line of effort key"):
        build(curation, sources_dir, tmp_path)


def run_manage(*args, **env):
    """manage.py in a fresh process, with only the given settings in its environment (DATABASE_URL=None: unset)."""
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    database = env.pop("DATABASE_URL")
    if database is not None:
        clean["DATABASE_URL"] = database
    clean.update(env)
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


SHOW_SETTINGS = "from django.conf import settings; print(settings.DEBUG, settings.LOCAL_DEVELOPMENT_DATABASE)"


def test_manage_py_runs_with_debug_on_in_a_checkout_with_nothing_configured():
    # Nothing set: the checkout's own db.sqlite3, as `make run` and the README's commands assume.
    # (`shell -c` reads the settings without opening the database.)
    local = run_manage("shell", "--no-imports", "-c", SHOW_SETTINGS, DATABASE_URL=None)
    assert local.returncode == 0, local.stderr
    assert local.stdout.split() == ["True", "True"]
    named = run_manage(
        "shell", "--no-imports", "-c", SHOW_SETTINGS, DATABASE_URL=f"sqlite:///{settings.BASE_DIR / 'db.sqlite3'}"
    )
    assert named.stdout.split() == ["True", "True"], named.stderr


@pytest.mark.parametrize(
    "database",
    ["postgres://tracker@db.example.org:5432/tracker", "sqlite:///{tmp}/db.sqlite3"],
    ids=["postgresql", "another-sqlite-file"],
)
@pytest.mark.parametrize("debug", [None, "1"], ids=["debug-unset", "debug-1"])
def test_manage_py_stops_without_secret_key_for_any_other_database(tmp_path, database, debug):
    env = {"DATABASE_URL": database.format(tmp=tmp_path)}
    if debug is not None:
        env["DEBUG"] = debug
    # The development account would be created by this command, were manage.py to go on.
    stopped = run_manage("ensure_dev_user", **env)
    assert stopped.returncode == 1
    assert "SECRET_KEY is not set, and DATABASE_URL names a database other than this checkout's db.sqlite3" in (
        stopped.stderr
    )
    assert "Traceback" not in stopped.stderr
    assert not (tmp_path / "db.sqlite3").exists()


def test_a_deployment_never_gets_the_development_account(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": "a-deployment-key"}
    migrated = run_manage("migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr
    for debug in ("0", "1"):
        refused = run_manage("ensure_dev_user", DEBUG=debug, **env)
        assert refused.returncode == 1
        assert "only for the local development set-up" in refused.stderr
    users = run_manage(
        "shell", "--no-imports", "-c", "from django.contrib.auth.models import User; print(User.objects.count())", **env
    )
    assert users.stdout.strip() == "0", users.stderr


def test_manage_py_runs_with_a_secret_key_against_another_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": "a-deployment-key"}
    deployed = run_manage("shell", "--no-imports", "-c", SHOW_SETTINGS, **env)
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout.split() == ["False", "False"]


@pytest.mark.django_db
def test_load_seed_records_a_first_history_entry_for_every_record(capsys):
    from django.utils import timezone

    from snapshots.records import curated_models

    before = timezone.now()
    call_command("load_seed")
    assert "Recorded a first history entry for each of the 468 records." in capsys.readouterr().out
    for model in curated_models():
        history = model.history.all()
        assert history.count() == model._default_manager.count()
        assert set(history.values_list("history_type", "history_user", "history_change_reason")) <= {
            ("+", None, "Loaded from the seed fixture")
        }
        assert all(date >= before for date in history.values_list("history_date", flat=True))
