"""The snapshot group of the benchmark: export and restore against the `dumpdata`/`loaddata` a user would pick.

Two baselines each, both reported: plain `dumpdata` of the same records (pk-based, what `manage.py
dumpdata` gives by default) and natural-key `dumpdata` (`--natural-foreign --natural-primary`, which
reads each statement's whole text again for every row that refers to it); restore against `loaddata`
of each of their outputs into an empty database. Targets: export ≤ 0.7× plain `dumpdata`, restore
≤ 0.5× pk-based `loaddata`; the natural-key ratios are reported only. Every step is a process of its
own, so that its peak memory is its own, and times what it does after Django is set up. The rounds
interleave the path and its baselines, the baselines first in even rounds and the path first in odd
ones; each round loads into empty databases of its own, cloned from one migrated empty database.

Run by `bench/measure.py` (the group) and by itself (`snapshot_figures.py step-NAME ARGS`, one step).
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Whole exports and loads, each a process: three rounds at most, even at 100k.
MOST_ROUNDS = 3
EXPORT_TARGET, RESTORE_TARGET = 0.7, 0.5
# The fixtures' format, the same for both baselines: the only difference between them is the keys.
DUMP_SUFFIX = ".jsonl"


def run_step(step, database_url, *args, timeout=1800):
    """One snapshot step in a fresh process of its own, so that its peak memory is its own."""
    env = dict(os.environ, DATABASE_URL=database_url)
    command = [sys.executable, __file__, f"step-{step}", *map(str, args)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _dumpdata(output, natural):
    from django.core.management import call_command

    from snapshots.records import curated_models

    labels = [model._meta.label_lower for model in curated_models()]  # the records a snapshot holds
    keys = {"natural_foreign": True, "natural_primary": True} if natural else {}
    call_command("dumpdata", *labels, format="jsonl", output=output, verbosity=0, **keys)


def step(name, args):
    from bench.measure import peak_mib, setup

    setup()
    started = time.perf_counter()
    if name == "export":
        from snapshots.export import export_snapshot

        export_snapshot(Path(args[0]))
    elif name == "export-as-of":
        from django.utils import timezone

        from snapshots.export import export_snapshot

        # The record as of now, read from the change history: the same bytes as the present's export.
        export_snapshot(Path(args[0]), as_of=timezone.now())
    elif name in ("dumpdata", "dumpdata-natural"):
        _dumpdata(args[0], natural=name == "dumpdata-natural")
    elif name == "restore":
        from snapshots.restore import restore_snapshot

        restore_snapshot(Path(args[0]))
    elif name == "loaddata":
        from django.core.management import call_command

        call_command("loaddata", args[0], verbosity=0)
    seconds = time.perf_counter() - started
    from snapshots.restore import curated_counts

    # What the database holds afterwards (not timed): every load must give the records exported.
    counts = curated_counts()
    print(json.dumps({"seconds": round(seconds, 3), "peak_mib": round(peak_mib(), 1), "counts": counts}))


# --- empty databases, one per load and round ------------------------------------------------------------


def clone(template_url, suffix):
    """A copy of the migrated empty database at `template_url`, named after it with `suffix`; its URL."""
    if template_url.startswith("sqlite:///"):
        template = Path(template_url.removeprefix("sqlite:///"))
        copy = template.with_name(f"{template.stem}_{suffix}{template.suffix}")
        for tail in ("", "-wal"):
            if Path(f"{template}{tail}").exists():
                shutil.copyfile(f"{template}{tail}", f"{copy}{tail}")
        return f"sqlite:///{copy}"
    server, name = template_url.rsplit("/", 1)
    _psql(server, f'DROP DATABASE IF EXISTS "{name}_{suffix}"')
    _psql(server, f'CREATE DATABASE "{name}_{suffix}" TEMPLATE "{name}"')
    return f"{server}/{name}_{suffix}"


def drop(url):
    if url.startswith("sqlite:///"):
        for tail in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + tail).unlink(missing_ok=True)
    else:
        server, name = url.rsplit("/", 1)
        _psql(server, f'DROP DATABASE IF EXISTS "{name}"')


def _psql(server, sql):
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def remove(path):
    if Path(path).is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        Path(path).unlink(missing_ok=True)


# --- the rounds --------------------------------------------------------------------------------------


def alternating(index, baselines, path):
    """The steps of round `index`: the baselines first in even rounds, the path first in odd ones."""
    return [path, *baselines] if index % 2 else [*baselines, path]


def _round(index, database, empty_url, workdir):
    """One round: the export and both dumps, then the restore and both loads, each into an empty database."""
    tag = f"{os.getpid()}-{index}"
    files = {
        "export": workdir / f"snapshot-{tag}",
        "dumpdata": workdir / f"dump-{tag}{DUMP_SUFFIX}",
        "dumpdata-natural": workdir / f"dump-natural-{tag}{DUMP_SUFFIX}",
    }
    out = {}
    for name in alternating(index, ["dumpdata", "dumpdata-natural"], "export"):
        out[name] = run_step(name, database, files[name])
    loads = {"restore": files["export"], "loaddata": files["dumpdata"], "loaddata-natural": files["dumpdata-natural"]}
    for name in alternating(index, ["loaddata", "loaddata-natural"], "restore"):
        target = clone(empty_url, f"{name.replace('-', '_')}_{index}")
        try:
            out[name] = run_step("loaddata" if name == "loaddata-natural" else name, target, loads[name])
        finally:
            drop(target)
    for name, path in files.items():
        if name != "export" or index:  # the first round's snapshot is the as-of export's reference
            remove(path)
    return out, files["export"]


def _as_of_export_figures(rounds, database, workdir, present, first_export):
    """The as-of export (read from the change history) against the present's export, rounds interleaved
    and alternating; and whether its fixture is the present's, byte for byte (nothing changes between)."""
    from bench.measure import figure

    ratios, as_of_seconds, present_seconds, peaks, same = [], [], [], [], True
    present_sha = json.loads((present / "manifest.json").read_text())["files"]["fixture.jsonl"]["sha256"]
    for index in range(rounds):
        folder, again = workdir / f"snapshot-as-of-{os.getpid()}-{index}", workdir / f"snapshot-{os.getpid()}-{index}b"
        if index == 0:  # the present's export ran just before, in the first round
            past, now = run_step("export-as-of", database, folder), first_export
        elif index % 2:
            past = run_step("export-as-of", database, folder)
            now = run_step("export", database, again)
        else:
            now = run_step("export", database, again)
            past = run_step("export-as-of", database, folder)
        sha = json.loads((folder / "manifest.json").read_text())["files"]["fixture.jsonl"]["sha256"]
        same = same and sha == present_sha
        remove(folder)
        remove(again)
        ratios.append(past["seconds"] / now["seconds"])
        as_of_seconds.append(past["seconds"])
        present_seconds.append(now["seconds"])
        peaks.append(past["peak_mib"])
    median = statistics.median
    return [
        figure(
            "snapshot export --as-of vs present export",
            median(ratios),
            median(as_of_seconds),
            median(present_seconds),
            2,
            unit="s",
        ),
        {
            "name": "snapshot export --as-of now: fixture identical to the present's",
            "value": same,
            "ratio": None,
            "target": "identical",
            "pass": same,
        },
        {"name": "snapshot export --as-of, peak memory (MiB)", "value": max(peaks), "unit": "MiB"},
    ]


def ratio_figure(name, rounds, path, baseline, bound):
    """A figure from the rounds' seconds: the median of per-round ratios, with the median times."""
    from bench.measure import figure

    ratios = [r[path]["seconds"] / r[baseline]["seconds"] for r in rounds]
    took = statistics.median(r[path]["seconds"] for r in rounds)
    base = statistics.median(r[baseline]["seconds"] for r in rounds)
    result = figure(name, statistics.median(ratios), took, base, bound or 0, unit="s", rounds=len(rounds))
    if bound is None:
        result.update({"target": "report only", "report_only": True, "pass": True})
    return result


def group_snapshot(options):
    workdir = Path(options.workdir)
    database = os.environ["DATABASE_URL"]
    rounds = max(1, min(MOST_ROUNDS, options.rounds))
    bare = run_step("setup", database)
    results, first = [], None
    for index in range(rounds):
        out, snapshot = _round(index, database, options.empty_url, workdir)
        results.append(out)
        first = first or snapshot
    as_of = _as_of_export_figures(rounds, database, workdir, first, results[0]["export"])
    remove(first)
    # Every load gives the records the database holds: the same counts, model by model.
    loaded = [r[name]["counts"] for r in results for name in ("restore", "loaddata", "loaddata-natural")]
    same = all(counts == bare["counts"] for counts in loaded)
    peak = {name: max(r[name]["peak_mib"] for r in results) for name in results[0]}
    # In the table at every size (against the bare process's); held flat by the cross-size row, ×1.2.
    memory = {"ratio": None, "target": "report only", "report_only": True, "pass": True}
    return [
        *as_of,
        ratio_figure("snapshot export vs plain dumpdata (pk-based)", results, "export", "dumpdata", EXPORT_TARGET),
        ratio_figure("snapshot export vs natural-key dumpdata", results, "export", "dumpdata-natural", None),
        ratio_figure("snapshot restore vs pk-based loaddata", results, "restore", "loaddata", RESTORE_TARGET),
        ratio_figure("snapshot restore vs natural-key loaddata", results, "restore", "loaddata-natural", None),
        {
            "name": "snapshot restore and both loaddata: the records exported, model by model",
            "value": same,
            "ratio": None,
            "target": "identical",
            "pass": same,
        },
        {
            "name": "snapshot export, peak memory (MiB)",
            "value": peak["export"],
            "baseline": bare["peak_mib"],
            "unit": "MiB",
            "dumpdata_peak_mib": peak["dumpdata"],
            "dumpdata_natural_peak_mib": peak["dumpdata-natural"],
            **memory,
            "cross_field": "value",
            "cross_target": 1.2,
        },
        {
            "name": "snapshot restore, peak memory (MiB)",
            "value": peak["restore"],
            "baseline": bare["peak_mib"],
            "unit": "MiB",
            "loaddata_peak_mib": peak["loaddata"],
            "loaddata_natural_peak_mib": peak["loaddata-natural"],
            **memory,
            "cross_field": "value",
            "cross_target": 1.2,
        },
    ]


if __name__ == "__main__":
    step(sys.argv[1].removeprefix("step-"), sys.argv[2:])
