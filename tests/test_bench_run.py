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
