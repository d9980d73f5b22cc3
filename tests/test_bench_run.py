"""`make bench` tells whoever runs it whether every figure met its target: by its exit status."""

import argparse
import json

import pytest

from bench import run


@pytest.fixture(autouse=True)
def _no_redis(monkeypatch):
    """The runs here measure nothing: they leave the Redis server, if one answers, alone."""
    monkeypatch.setattr(run.production, "redis_answers", lambda: False)


class _NoEngine:
    def __init__(self, vendor, *args):
        self.vendor = vendor

    def drop_all(self):
        pass


@pytest.mark.parametrize(("passed", "status"), [(True, 0), (False, 1)])
def test_the_run_exits_non_zero_when_a_figure_misses_its_target(monkeypatch, tmp_path, capsys, passed, status):
    ratio = 1.0 if passed else 3.0
    figure = {"name": "commitments list", "value": 2.0, "ratio": ratio, "target": "<= 2", "pass": passed}
    monkeypatch.setattr(run, "manage", lambda *args: None)  # collectstatic: nothing to collect here
    monkeypatch.setattr(run, "Engine", _NoEngine)
    monkeypatch.setattr(run, "run_engine", lambda engine, sizes, groups, rounds: {10_000: {"list": [figure]}})
    output = tmp_path / "results.json"
    monkeypatch.setattr("sys.argv", ["run.py", "--databases", "sqlite", "--sizes", "10000", "--json", str(output)])

    assert run.main() == status
    assert f"{0 if passed else 1} figure(s) miss their target" in capsys.readouterr().out
    assert json.loads(output.read_text())["engines"]["sqlite"]["table"][0]["pass"] is passed


def test_a_one_request_figure_that_grows_more_than_half_again_fails_and_a_whole_record_one_may_grow():
    def timed(value):
        return {"name": "commitments list", "value": value}

    results = {
        10_000: {"list": [timed(10.0)], "snapshot": [{"name": "export", "value": 1.0}]},
        100_000: {"list": [timed(16.0)], "snapshot": [{"name": "export", "value": 10.0}]},
    }
    rows = {row["name"]: row for row in run.growth(results, [10_000, 100_000])}
    assert rows["commitments list"]["grew"] == 1.6 and rows["commitments list"]["pass"] is False
    assert rows["export"]["pass"] is True  # the whole record: it grows with it
    results[100_000]["list"] = [timed(15.0)]
    assert run.growth(results, [10_000, 100_000])[0]["pass"] is True


def test_a_growth_failure_fails_the_run(monkeypatch, tmp_path, capsys):
    figures = {10_000: 10.0, 100_000: 20.0}
    monkeypatch.setattr(run, "manage", lambda *args: None)
    monkeypatch.setattr(run, "Engine", _NoEngine)
    monkeypatch.setattr(
        run,
        "run_engine",
        lambda engine, sizes, groups, rounds: {s: {"pages": [{"name": "a page", "value": figures[s]}]} for s in sizes},
    )
    output = tmp_path / "results.json"
    monkeypatch.setattr(
        "sys.argv", ["run.py", "--databases", "sqlite", "--sizes", "10000", "100000", "--json", str(output)]
    )
    assert run.main() == 1
    assert "grows more than x1.5" in capsys.readouterr().out


def test_every_ratio_interleaves_its_rounds_and_alternates_which_side_goes_first(monkeypatch):
    from bench import measure

    calls, seconds = [], {"path": 2.0, "baseline": 1.0}
    monkeypatch.setattr(measure, "timed", lambda fn, repeat: fn() or seconds[calls[-1]])
    ratio, took, base = measure.against(lambda: calls.append("path"), lambda: calls.append("baseline"), rounds=4)
    assert calls[2:] == ["baseline", "path", "path", "baseline", "baseline", "path", "path", "baseline"]
    assert (ratio, took, base) == (2.0, 2000.0, 1000.0)


def _snapshot_steps(monkeypatch, seconds):
    """The snapshot group with each step faked: its calls in order, each taking `seconds[step]`."""
    from bench import snapshot_figures

    calls = []

    def run_step(step, database_url, *args):
        calls.append(step if step != "loaddata" or "natural" not in str(args[0]) else "loaddata-natural")
        if step.startswith("export"):
            args[0].mkdir()
            manifest = {"files": {"fixture.jsonl": {"sha256": "same"}}}
            (args[0] / "manifest.json").write_text(json.dumps(manifest))
        return {"seconds": seconds.get(calls[-1], 1.0), "peak_mib": 50.0, "counts": {"commitments.commitment": 3}}

    monkeypatch.setattr(snapshot_figures, "run_step", run_step)
    monkeypatch.setattr(snapshot_figures, "clone", lambda template, suffix: f"{template}_{suffix}")
    monkeypatch.setattr(snapshot_figures, "drop", lambda url: None)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///bench.sqlite3")
    return snapshot_figures, calls


def test_the_snapshot_figures_run_in_rounds_that_alternate_the_path_and_its_baselines(monkeypatch, tmp_path):
    snapshot_figures, calls = _snapshot_steps(monkeypatch, {})
    options = argparse.Namespace(workdir=str(tmp_path), rounds=3, empty_url="sqlite:///empty.sqlite3")
    snapshot_figures.group_snapshot(options)
    exports = [c for c in calls if c in ("export", "dumpdata", "dumpdata-natural")][:9]
    loads = [c for c in calls if c in ("restore", "loaddata", "loaddata-natural")]
    assert exports == [*["dumpdata", "dumpdata-natural", "export"], *["export", "dumpdata", "dumpdata-natural"]] + [
        "dumpdata",
        "dumpdata-natural",
        "export",
    ]
    assert loads == ["loaddata", "loaddata-natural", "restore", "restore", "loaddata", "loaddata-natural"] + [
        "loaddata",
        "loaddata-natural",
        "restore",
    ]
    # The as-of export alternates too (the first round's present export ran before it).
    assert [c for c in calls if c in ("export-as-of", "export")][-5:] == [
        "export-as-of",
        "export-as-of",
        "export",
        "export",
        "export-as-of",
    ]


def test_export_and_restore_are_held_to_the_plain_baselines_and_report_the_natural_key_ones(monkeypatch, tmp_path):
    seconds = {"export": 0.8, "dumpdata": 1.0, "dumpdata-natural": 10.0, "restore": 0.4, "loaddata": 1.0}
    snapshot_figures, _ = _snapshot_steps(monkeypatch, {**seconds, "loaddata-natural": 4.0})
    options = argparse.Namespace(workdir=str(tmp_path), rounds=3, empty_url="sqlite:///empty.sqlite3")
    figures = {f["name"]: f for f in snapshot_figures.group_snapshot(options)}
    plain_export = figures["snapshot export vs plain dumpdata (pk-based)"]
    assert (plain_export["ratio"], plain_export["target"], plain_export["pass"]) == (0.8, "<= 0.7", False)
    assert plain_export["rounds"] == 3
    natural_export = figures["snapshot export vs natural-key dumpdata"]
    assert (natural_export["ratio"], natural_export["target"]) == (0.08, "report only")
    plain_restore = figures["snapshot restore vs pk-based loaddata"]
    assert (plain_restore["ratio"], plain_restore["target"], plain_restore["pass"]) == (0.4, "<= 0.5", True)
    assert figures["snapshot restore vs natural-key loaddata"]["ratio"] == 0.1
    assert figures["snapshot restore and both loaddata: the records exported, model by model"]["pass"] is True
    memory = figures["snapshot export, peak memory (MiB)"]
    assert (memory["value"], memory["target"], memory["cross_target"]) == (50.0, "report only", 1.2)
    rows = {row["name"]: row for row in run.compare({10_000: {"snapshot": list(figures.values())}}, [10_000])}
    assert rows["snapshot restore, peak memory (MiB)"]["pass"] is True  # shown at one size, failing nothing


def test_the_run_measures_in_the_production_configuration_and_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(run.PRODUCTION, "redis_url", "redis://127.0.0.1:6379/0")
    monkeypatch.setitem(run.SIGNING_KEY, "path", tmp_path / "key.pem")
    monkeypatch.setitem(run.STATIC_ROOT, "path", tmp_path / "static")
    monkeypatch.setenv("API_ANON_RATE", "1000000/second")  # the caller's own never reaches the run
    env = run.environment("sqlite:////tmp/tracker_bench_10000.sqlite3")
    assert "API_ANON_RATE" not in env  # the settings' documented rate
    assert env["REDIS_URL"] == "redis://127.0.0.1:6379/0" and env["CONN_MAX_AGE"] == "60"
    assert env["PROXY_COUNT"] == "1" and env["CACHE_KEY_PREFIX"].startswith(run.PRODUCTION["key_prefix"] + "-")

    monkeypatch.setattr(run, "manage", lambda *args: None)
    monkeypatch.setattr(run, "Engine", _NoEngine)
    monkeypatch.setattr(run, "run_engine", lambda engine, sizes, groups, rounds: {10_000: {"list": []}})
    argv = ["run.py", "--databases", "sqlite", "--sizes", "10000", "--json", str(tmp_path / "r.json")]
    monkeypatch.setattr("sys.argv", argv)
    run.main()
    assert "sqlite; configuration: NO Redis" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_bench_client_is_many_anonymous_clients_under_the_documented_rate(monkeypatch):
    from django.core.cache import cache
    from django.test import Client
    from rest_framework import throttling
    from rest_framework.settings import api_settings

    from bench import production

    monkeypatch.setattr(throttling.AnonRateThrottle, "THROTTLE_RATES", {"anon": production.ANON_RATE})
    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1)  # PROXY_COUNT=1, as the run sets it
    cache.clear()
    url = "/api/v1/lines-of-effort/"
    bench_client = production.client()
    assert {bench_client.get(url).status_code for _ in range(250)} == {200}
    one_client = Client(HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert [one_client.get(url).status_code for _ in range(121)][-2:] == [200, 429]
    cache.clear()
