"""The documentation says what the code does: its links resolve and its fast-path table names real tests and figures."""

import importlib
import re

import pytest

from tests.servers import ROOT

DOCS = ROOT / "docs"


def fast_path_rows():
    text = (DOCS / "benchmark.md").read_text(encoding="utf-8")
    table = text.split("## Fast paths", 1)[1].split("\n\n| fast path", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_readme_is_a_door_whose_links_all_open():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 90
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert set(links) >= {f"docs/{page.name}" for page in DOCS.glob("*.md")}
    for path in links:
        assert (ROOT / path).is_file(), path
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+\.md)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).is_file(), f"{page.name} links {target}"


def test_the_fast_path_table_names_six_paths_each_with_a_real_test_and_a_benchmark_figure():
    rows = fast_path_rows()
    assert len(rows) == 6
    measured = (ROOT / "bench" / "measure.py").read_text(encoding="utf-8")
    sources = "".join(
        (ROOT / "api" / name).read_text(encoding="utf-8")
        for name in ("serializers.py", "aggregates.py", "import_bulk.py", "changes.py")
    )
    for path, _serves, test, benchmark in rows:
        symbol = re.match(r"`(\w+)", path).group(1)
        assert re.search(rf"^(class|def) {symbol}\b", sources, flags=re.MULTILINE), path
        test_file, test_name = test.strip("`").split("::")
        module = importlib.import_module(test_file.removesuffix(".py").replace("/", "."))
        assert callable(getattr(module, test_name, None)), test
        assert f'"{benchmark.strip("`")}"' in measured, benchmark


@pytest.mark.parametrize(
    "symbol",
    [
        "_RowWriter",
        "write_timeline_step",
        "ThreadTimelineSerializer",
        "PledgeMatrixView",
        "BulkCommitments",
        "ChangesView",
    ],
)
def test_every_fast_path_points_to_the_rule(symbol):
    import inspect

    import api.aggregates
    import api.changes
    import api.import_bulk
    import api.serializers

    found = getattr(api.serializers, symbol, None) or getattr(api.import_bulk, symbol, None)
    found = found or getattr(api.aggregates, symbol, None) or getattr(api.changes, symbol)
    assert "docs/benchmark.md, *Fast paths*" in inspect.getsource(found), symbol


def test_pre_commit_runs_what_make_test_lints_and_its_configuration_is_valid():
    import subprocess
    import sys

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]

    def as_in_makefile(entry):
        entry = entry.replace(".venv/bin/", "$(BIN)/").removeprefix("env ")
        return entry.replace("make ", "$(MAKE) --no-print-directory ", 1) if entry.startswith("make ") else entry

    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ntest:", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip().removesuffix(" .") for line in recipe.splitlines()[1:]]
    checks = [line for line in lines if not line.startswith(("@#", "$(BIN)/pytest"))]
    entries = [as_in_makefile(hook["entry"]) for hook in hooks]
    # The same commands in the same order; pre-commit passes the changed files where the Makefile says ".".
    assert entries == checks
    validated = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
