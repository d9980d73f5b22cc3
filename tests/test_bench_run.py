"""`make bench` tells whoever runs it whether every figure met its target: by its exit status."""

import json

import pytest

from bench import run


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
