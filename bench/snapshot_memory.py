"""Peak memory of the snapshot export at 10k and 100k commitments, against a baseline process.

    .venv/bin/python bench/snapshot_memory.py                # 10,000 and 100,000 commitments
    .venv/bin/python bench/snapshot_memory.py --sizes 2000   # a quick run
    .venv/bin/python bench/snapshot_memory.py --restore      # also restore into a fresh database

For each size: a throwaway SQLite database in a temporary folder (named by DATABASE_URL before
django.setup(), in each subprocess), migrated, loaded with the seed, plus N synthetic commitments
with valid quotes. Every measurement runs in a fresh subprocess, so its peak resident memory
(VmHWM) is its own: the baseline does django.setup() and one query and nothing else; the export
writes a snapshot; verify checks it; restore (optional) verifies it again and loads it into a
fresh, already migrated database. Streaming
shows as an export peak that does not grow with N. Every subprocess has a time limit, so the
script stops by itself. Nothing is written outside the temporary folder, which is removed.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5_000


def peak_kib():
    """This process's peak resident memory in KiB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()


def child_prepare(n):
    """Migrate, load the seed and bulk-create n synthetic commitments quoting the longest statement."""

    from django.core.management import call_command

    from commitments.models import Commitment, LineOfEffort
    from meetings.models import Statement

    call_command("migrate", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures" / "seed.json"), verbosity=0)
    from synthetic import synthetic_commitments

    # The longest statement only, as before: every synthetic quote points into one text.
    statement = max(Statement.objects.all(), key=lambda s: len(s.text))
    Commitment.objects.bulk_create(
        synthetic_commitments(n, [statement], list(LineOfEffort.objects.all())), batch_size=BATCH
    )
    return {"commitments": Commitment.objects.count()}


def child_baseline():
    from commitments.models import Commitment

    return {"commitments": Commitment.objects.count()}


def child_export(directory):
    from snapshots.export import export_snapshot

    result = export_snapshot(directory)
    return {"records": sum(result.counts.values()), "bytes": result.manifest["files"]["fixture.jsonl"]["bytes"]}


def child_verify(directory):
    from snapshots.verify import verify_snapshot

    result = verify_snapshot(directory)
    return {"ok": result.ok, "failures": result.failures[:5]}


def child_migrate():
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {}


def child_restore(directory):
    from snapshots.restore import restore_snapshot

    return {"records": sum(restore_snapshot(directory).counts.values())}


def run_child(mode, args, database, timeout):
    """Run one measurement in a fresh interpreter; returns its result with peak memory and seconds."""
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="bench-only-secret-key",  # noqa: S106 - a throwaway database, deleted afterwards
        DEBUG="0",
        # A throwaway signing key beside the database: snapshots are signed and checked as in use.
        SNAPSHOT_SIGNING_KEY_FILE=str(Path(database).parent / "signing-key.pem"),
    )
    command = [sys.executable, __file__, "--child", mode, *map(str, args)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(mode, args):
    setup_django()
    started = time.perf_counter()
    work = {
        "prepare": lambda: child_prepare(int(args[0])),
        "baseline": child_baseline,
        "export": lambda: child_export(args[0]),
        "verify": lambda: child_verify(args[0]),
        "migrate": child_migrate,
        "restore": lambda: child_restore(args[0]),
    }[mode]
    result = work()
    result.update(seconds=round(time.perf_counter() - started, 2), peak_mib=round(peak_kib() / 1024, 1))
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--timeout", type=int, default=900, help="Seconds allowed to each subprocess.")
    parser.add_argument("--restore", action="store_true", help="Also restore each snapshot into a fresh database.")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child_main(options.child[0], options.child[1:])
        return

    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="snapshot-memory-"))
    try:
        sys.path.insert(0, str(ROOT))
        from snapshots.signing import generate_key_pair

        generate_key_pair(workdir / "signing-key.pem")
        for n in options.sizes:
            database = workdir / f"n{n}.sqlite3"
            snapshot = workdir / f"snapshot-{n}"
            prepared = run_child("prepare", [n], database, options.timeout)
            baseline = run_child("baseline", [], database, options.timeout)
            export = run_child("export", [snapshot], database, options.timeout)
            verify = run_child("verify", [snapshot], database, options.timeout)
            if not verify["ok"]:
                raise SystemExit(f"the benchmark's snapshot fails verify: {verify['failures']}")
            row = {
                "commitments": prepared["commitments"],
                "records": export["records"],
                "fixture_mib": round(export["bytes"] / 2**20, 1),
                "baseline_mib": baseline["peak_mib"],
                "export_mib": export["peak_mib"],
                "export_s": export["seconds"],
                "verify_mib": verify["peak_mib"],
                "verify_s": verify["seconds"],
            }
            if options.restore:
                # A fresh database, migrated in its own process so that the restore's figures are its own.
                run_child("migrate", [], workdir / f"restore-{n}.sqlite3", options.timeout)
                restore = run_child("restore", [snapshot], workdir / f"restore-{n}.sqlite3", options.timeout)
                row.update(restore_mib=restore["peak_mib"], restore_s=restore["seconds"])
            rows.append(row)
            database.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    columns = list(rows[0])
    print("  ".join(f"{c:>12}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]:>12}" for c in columns))
    for row in rows:
        print(
            f"{row['commitments']:,} commitments: export peak {row['export_mib']} MiB, "
            f"{row['export_mib'] - row['baseline_mib']:+.1f} MiB over a process that only sets Django up "
            f"({row['baseline_mib']} MiB); {row['fixture_mib']} MiB written in {row['export_s']} s."
        )


if __name__ == "__main__":
    main()
