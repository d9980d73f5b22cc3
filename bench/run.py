"""The benchmark: every user path, each timed against a baseline measured in the same run.

    make bench                                    # SQLite and PostgreSQL, 10,000 and 100,000 commitments
    .venv/bin/python bench/run.py --databases sqlite --sizes 10000     # a quicker run
    .venv/bin/python bench/run.py --json var/bench/results.json        # where the table is written as JSON

For each database engine and size it makes a throwaway database (a temporary SQLite file; on
PostgreSQL, databases named tracker_bench_* (or --prefix) on BENCH_POSTGRES_URL's server, dropped
and made afresh), migrates it, fills it with `generate_demo` (then ANALYZE on PostgreSQL, as
autovacuum would), and runs each group of measurements in a fresh process (`bench/measure.py`), so
that peak memory figures are each its own:

- the commitments list through the whole stack against the same rows read with `.values()` and
  dumped with orjson, and a page 90 % deep against the first page;
- the list over HTTP under gunicorn (2 workers, production settings) against a plain Django view
  returning the same rows with orjson, in requests per second at a fixed concurrency;
- the thread timeline, the pledge matrix, each public page (the follow-through page too) and the
  verdicts aggregate (by line, by meeting and by member) against raw queries for the same data, with
  their query counts (which must not change with the data);
- the admin's commitments changelist on its first page, 90 % deep (by key), filtered by status, and
  filtered by status and searched (bench/admin_pages.py), each against the rows, pledges, filter lists
  and bounded count the page shows read raw, with their query counts;
- snapshot export against plain (pk-based) `dumpdata` of the same records and against natural-key
  `dumpdata`, restore into an empty database against `loaddata` of each one's output, in rounds
  (`bench/snapshot_figures.py`): time, and peak memory from 10k to 100k; the export `--as-of` a
  moment (read from the change history) against the present's export, and its fixture the same bytes;
- ingest suggestions for a new 2,000-word statement at 100k stored commitments against 1k;
- importing every commitment from its CSV export against `loaddata` of the same commitments
  (a plain, pk-based fixture), into the database without them.

Select groups with `--groups` (e.g. `--groups import`).

Every ratio is a median of per-round ratios, the rounds interleaving the path and its baseline,
so that a change in the machine's speed hits both, and alternating which of the two goes first.
Everything runs in the production configuration (`bench/production.py`: Redis when it answers on
127.0.0.1:6379, the documented anonymous throttle rate, CONN_MAX_AGE, whitenoise), which the
table's header names. The table prints figure, baseline, ratio,
target and pass/fail, then the growth of each timed figure from 10k to 100k, flagging any that
grows faster than the data and failing any one-request figure that grows more than x1.5.
Nothing runs against any database but the throwaway ones; everything has a time limit and the
databases are removed at the end.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import production  # noqa: E402 - after the checkout is on the path

MEASURE = Path(__file__).resolve().parent / "measure.py"
PYTHON = sys.executable

# Which measurement groups run at which size; ingest also needs a small database of its own.
GROUPS = ("list", "pages", "admin", "http", "snapshot", "ingest", "import", "changes")
INGEST_SMALL = 1_000


def log(message):
    print(message, file=sys.stderr, flush=True)


SIGNING_KEY = {}
# The production configuration the run measures in (bench/production.py): Redis's URL ("" without it) and
# the run's own key prefix there.
PRODUCTION = {"redis_url": "", "key_prefix": f"tracker-bench-{os.getpid()}"}
# Where collectstatic writes, once per run: the production settings serve the pages' stylesheet by its
# hashed name, which they read from the manifest collectstatic leaves there.
STATIC_ROOT = {}


def environment(database_url, **extra):
    """A production-like environment for the throwaway database; nothing of the caller's set-up leaks in."""
    leave_out = {"DATABASE_URL", "DEBUG", "REDIS_URL", "CACHE_KEY_PREFIX", "API_ANON_RATE", "PROXY_COUNT"}
    env = {k: v for k, v in os.environ.items() if k not in leave_out}
    # A database's own key prefix: the counts cached for one never answer for another.
    prefix = f"{PRODUCTION['key_prefix']}-{database_url.rsplit('/', 1)[-1]}"
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY="benchmark-only-secret-key",  # noqa: S106 - a throwaway database
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SNAPSHOT_SIGNING_KEY_FILE=str(SIGNING_KEY["path"]),
        # Redis, the documented throttle rate, persistent connections, one proxy (bench/production.py).
        **production.settings_environment(PRODUCTION["redis_url"], prefix),
        STATIC_ROOT=str(STATIC_ROOT["path"]),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def manage(database_url, *args, timeout=1800):
    command = [PYTHON, str(ROOT / "manage.py"), *args]
    done = subprocess.run(command, env=environment(database_url), capture_output=True, text=True, timeout=timeout)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done


def measure(group, database_url, workdir, timeout=1800, **options):
    """Run one group in a fresh process; returns its figures (a list of dicts)."""
    command = [PYTHON, str(MEASURE), group, "--workdir", str(workdir)]
    for key, value in options.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, env=environment(database_url), capture_output=True, text=True, timeout=timeout)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"{group} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Engine:
    """Throwaway databases of one engine: made empty and migrated, removed at the end."""

    def __init__(self, vendor, workdir, postgres_url, prefix="tracker_bench"):
        self.vendor, self.workdir, self.postgres_url = vendor, workdir, postgres_url.rstrip("/")
        self.prefix = prefix
        self.made = []

    def url(self, name):
        if self.vendor == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        return f"{self.postgres_url}/{name}"

    def fresh(self, name):
        """An empty, migrated database called `name` after the prefix; returns its URL."""
        name = f"{self.prefix}_{name}"
        if self.vendor == "sqlite":
            (self.workdir / f"{name}.sqlite3").unlink(missing_ok=True)
        else:
            self._psql(f'DROP DATABASE IF EXISTS "{name}"')
            self._psql(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        url = self.url(name)
        manage(url, "migrate", "--noinput", "-v", "0")
        return url

    def analyze(self, url):
        """Planner statistics for a freshly filled database, as autovacuum keeps them on a live one.

        Measured straight after the bulk inserts, PostgreSQL would plan with none and time its guesses.
        """
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("ANALYZE")

    def drop_all(self):
        for name in self.made:
            if self.vendor == "postgresql":
                self._psql(f'DROP DATABASE IF EXISTS "{name}"')

    def _psql(self, sql):
        import psycopg

        with psycopg.connect(f"{self.postgres_url}/postgres", autocommit=True) as connection:
            connection.execute(sql)


def run_engine(engine, sizes, groups, rounds):
    results = {}
    if "ingest" in groups:
        url = engine.fresh(f"{INGEST_SMALL}")
        manage(url, "generate_demo", "--commitments", str(INGEST_SMALL), "-v", "0")
        engine.analyze(url)
        results[INGEST_SMALL] = {"ingest": measure("ingest", url, engine.workdir, rounds=rounds)}
    for size in sizes:
        log(f"== {engine.vendor}, {size:,} commitments")
        url = engine.fresh(f"{size}")
        started = time.perf_counter()
        manage(url, "generate_demo", "--commitments", str(size), "-v", "0")
        log(f"   generate_demo: {time.perf_counter() - started:.0f} s")
        figures = {"generate_demo": [{"name": "generate_demo", "value": round(time.perf_counter() - started, 1)}]}
        engine.analyze(url)
        for group in groups:
            started = time.perf_counter()
            options = {"rounds": rounds}
            if group == "snapshot":
                # Each round's restore and loads go into copies of it (bench/snapshot_figures.py).
                options["empty_url"] = engine.fresh(f"{size}_empty")
            figures[group] = measure(group, url, engine.workdir, **options)
            log(f"   {group}: {time.perf_counter() - started:.0f} s")
        # A size that is also the ingest's small database keeps the ingest figure measured on it above.
        results[size] = {**results.get(size, {}), **figures}
    return results


def compare(results, sizes):
    """The table's rows: each figure of the largest size with its target, and cross-size figures."""
    rows = []
    largest, smallest = max(sizes), min(sizes)
    for size in sizes:
        for figures in results[size].values():
            for figure in figures:
                if "ratio" in figure:
                    rows.append({"size": size, **figure})
    by_name = {size: {f["name"]: f for figures in results[size].values() for f in figures} for size in results}
    if largest != smallest:
        for name, figure in by_name[largest].items():
            before = by_name[smallest].get(name)
            if before is None:
                continue
            if figure.get("cross_target") is not None:  # e.g. the admin changelist, peak memory
                value, base = figure[figure["cross_field"]], before[figure["cross_field"]]
                bound = figure["cross_target"]
                rows.append(
                    {
                        "size": f"{largest // 1000}k vs {smallest // 1000}k",
                        "name": f"{name}: {figure['cross_field']} at {largest:,} vs {smallest:,}",
                        "value": value,
                        "baseline": base,
                        "ratio": round(value / base, 2) if base else None,
                        "target": f"<= {bound}",
                        "pass": base > 0 and value / base <= bound,
                    }
                )
            if "queries" in figure and "queries" in before:
                rows.append(
                    {
                        "size": f"{largest // 1000}k vs {smallest // 1000}k",
                        "name": f"{name}: queries",
                        "value": figure["queries"],
                        "baseline": before["queries"],
                        "ratio": None,
                        "target": "equal",
                        "pass": figure["queries"] == before["queries"],
                    }
                )
    if "ingest" in results.get(INGEST_SMALL, {}) and largest in results:
        small = results[INGEST_SMALL]["ingest"][0]
        large = by_name[largest].get("ingest suggestions, 2,000 words")
        if large:
            rows.append(
                {
                    "size": f"{largest // 1000}k vs {INGEST_SMALL // 1000}k",
                    "name": "ingest suggestions, 2,000 words: time",
                    "value": large["value"],
                    "baseline": small["value"],
                    "ratio": round(large["value"] / small["value"], 2),
                    "target": "<= 5",
                    "pass": large["value"] / small["value"] <= 5,
                }
            )
    return rows


# The groups whose figures are one request each: from 10k to 100k commitments none may grow more than
# ×1.5 (a request that reads what it shows costs about the same at any size). The others (export,
# restore, import, ingest, which has its own target) handle the whole record and grow with it.
PER_REQUEST = ("list", "pages", "admin", "http", "changes")
MOST_GROWTH = 1.5


def growth(results, sizes):
    """Every timed figure at the largest size against the smallest: flagged if it grows faster than the data,
    and failed (`pass` false) if it is one request (`PER_REQUEST`) and grows more than ×1.5."""
    largest, smallest = max(sizes), min(sizes)
    if largest == smallest:
        return []
    data = largest / smallest
    small = {f["name"]: f for figures in results[smallest].values() for f in figures}
    rows = []
    for group, figures in results[largest].items():
        for figure in figures:
            before = small.get(figure["name"])
            if before is None or not isinstance(figure.get("value"), int | float) or not before.get("value"):
                continue
            grew = figure["value"] / before["value"]
            per_request = group in PER_REQUEST
            rows.append(
                {
                    "name": figure["name"],
                    "grew": round(grew, 2),
                    "faster_than_data": grew > data,
                    "per_request": per_request,
                    "pass": not per_request or grew <= MOST_GROWTH,
                }
            )
    return rows


def fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def print_table(vendor, rows, grown, configuration):
    print(f"\n{vendor}; {configuration}")
    header = ("size", "figure", "value", "baseline", "ratio", "target", "result")
    widths = (11, 62, 10, 10, 7, 8, 6)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        cells = (
            str(row["size"]),
            row["name"],
            fmt(row.get("value")),
            fmt(row.get("baseline")),
            fmt(row.get("ratio")),
            row.get("target", ""),
            "report" if row.get("report_only") else "pass" if row.get("pass") else "FAIL",
        )
        print("  ".join(str(c)[:w].ljust(w) for c, w in zip(cells, widths, strict=True)))
    if grown:
        print(f"growth of each timed figure from the smallest to the largest size ({vendor}):")
        for row in grown:
            flag = "  <- grows faster than the data" if row["faster_than_data"] else ""
            if not row["pass"]:
                flag += f"  <- FAIL: one request, grows more than x{MOST_GROWTH}"
            print(f"  {row['name']:<62} x{row['grew']}{flag}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per ratio (default 15)")
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench" / "results.json")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="the PostgreSQL server for the throwaway tracker_bench_* databases",
    )
    parser.add_argument(
        "--prefix",
        default="tracker_bench",
        help="the throwaway databases' names begin with it (two runs on one server need two prefixes)",
    )
    options = parser.parse_args()
    sizes = sorted(options.sizes)
    report = {"sizes": sizes, "engines": {}}
    workdir = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    failed = 0
    PRODUCTION["redis_url"] = production.REDIS_URL if production.redis_answers() else ""
    configuration = production.describe(PRODUCTION["redis_url"])
    report["configuration"] = configuration
    log(configuration)
    try:
        from snapshots.signing import generate_key_pair

        SIGNING_KEY["path"] = generate_key_pair(workdir / "signing-key.pem")[0]
        STATIC_ROOT["path"] = workdir / "static"
        # No database is read: any URL will do for the settings.
        manage(f"sqlite:///{workdir / 'collectstatic.sqlite3'}", "collectstatic", "--noinput", "-v", "0")
        for vendor in options.databases:
            engine = Engine(vendor, workdir, options.postgres_url, options.prefix)
            try:
                results = run_engine(engine, sizes, options.groups, options.rounds)
            finally:
                engine.drop_all()
            rows, grown = compare(results, sizes), growth(results, sizes)
            failed += sum(not row.get("pass") for row in rows) + sum(not row["pass"] for row in grown)
            print_table(vendor, rows, grown, configuration)
            report["engines"][vendor] = {"table": rows, "growth": grown, "raw": results}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if PRODUCTION["redis_url"]:
            removed = production.remove_keys(PRODUCTION["redis_url"], PRODUCTION["key_prefix"])
            log(f"Redis: removed the run's {removed} key(s) (the throttle's counters, the cached counts)")
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nWritten to {options.json}. {failed} figure(s) miss their target.")
    # A run with a figure off its target fails, so that whatever runs `make bench` can tell.
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
