"""`make run` and `make test` build the virtual environment with the first Python 3.11-3.13 they find, or the one
PYTHON names, say which, and stop with a clear message when there is none.

The Makefile's own rule runs (make, with a VENV in a temporary folder) on a PATH holding only fake
Pythons: small scripts that report a version and, asked `-m venv DIR`, make DIR/bin/python.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers import ROOT

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")

FAKE = """#!/bin/sh
# A fake Python {version}: records its calls, reports its version, makes a virtual environment of itself.
echo "$0 $*" >> {log}
case "$1" in
  -c) echo "{version}" ;;
  -m) if [ "$2" = venv ]; then /bin/mkdir -p "$3/bin" && /bin/cp "$0" "$3/bin/python"; fi ;;
esac
"""


@pytest.fixture
def machine(tmp_path):
    """A PATH of fake Pythons (add them with `install(name, version)`), and a way to run the Makefile's rule."""
    path = tmp_path / "bin"
    path.mkdir()
    log = tmp_path / "calls.log"
    log.touch()

    def install(name, version, folder=path):
        executable = folder / name
        executable.write_text(FAKE.format(version=version, log=log))
        executable.chmod(0o755)
        return executable

    def make(*arguments):
        venv = tmp_path / "venv"
        shutil.rmtree(venv, ignore_errors=True)
        result = subprocess.run(
            [MAKE, "--no-print-directory", "-C", str(ROOT), f"VENV={venv}", *arguments, f"{venv}/bin/python"],
            env={"PATH": str(path), "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return result, (venv / "bin" / "python").exists(), log.read_text()

    return install, make


def test_the_first_supported_python_in_order_builds_the_environment_and_is_named(machine):
    install, make = machine
    install("python3", "3.12.3")
    install("python3.13", "3.13.1")
    install("python3.9", "3.9.18")
    result, built, calls = make()
    assert result.returncode == 0, result.stderr
    assert built
    assert "Using python3.13 (Python 3.13.1)" in result.stderr
    assert " -m venv " in calls and "python3.13 -m venv" in calls and "python3 -m venv" not in calls


def test_python3_is_taken_when_it_is_the_only_supported_one(machine):
    install, make = machine
    install("python3.11", "3.9.2")  # a name that lies is checked, not trusted
    install("python3.10", "3.10.12")  # Django runs on it, but not every pinned dependency
    install("python3", "3.12.3")
    result, built, _ = make()
    assert result.returncode == 0 and built
    assert "Using python3 (Python 3.12.3)" in result.stderr


@pytest.mark.parametrize(
    "versions", [{}, {"python3": "3.14.0"}, {"python3": "3.10.12", "python3.10": "3.10.12"}, {"python3": "3.9.18"}]
)
def test_without_a_supported_python_make_stops_saying_so(machine, versions):
    install, make = machine
    for name, version in versions.items():
        install(name, version)
    result, built, calls = make()
    assert result.returncode != 0 and not built
    assert "No Python 3.11-3.13 found: looked for python3.11 python3.12 python3.13 python3" in result.stderr
    assert "make run PYTHON=" in result.stderr
    assert "-m venv" not in calls


def test_python_names_the_one_to_use(machine, tmp_path):
    install, make = machine
    install("python3.11", "3.11.7")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    chosen = install("python3.12", "3.12.3", folder=elsewhere)
    result, built, calls = make(f"PYTHON={chosen}")
    assert result.returncode == 0 and built, result.stderr
    assert f"Using {chosen} (Python 3.12.3), as PYTHON names." in result.stderr
    assert f"{chosen} -m venv" in calls and "python3.11 -m venv" not in calls


@pytest.mark.parametrize(
    ("version", "message"),
    [("3.10.12", "is Python 3.10.12; the tracker needs Python 3.11-3.13."), (None, ": no such command.")],
)
def test_python_naming_an_unsupported_or_missing_one_stops_saying_so(machine, tmp_path, version, message):
    install, make = machine
    install("python3.11", "3.11.7")
    named = install("old-python", version, folder=tmp_path) if version else Path(tmp_path / "missing-python")
    result, built, calls = make(f"PYTHON={named}")
    assert result.returncode != 0 and not built
    assert f"PYTHON={named}" in result.stderr and message in result.stderr
    assert "-m venv" not in calls


def test_ci_builds_with_python_3_11():
    assert "export PYTHON=python3.11" in (ROOT / ".ci" / "run").read_text()
