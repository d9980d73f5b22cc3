"""How fast the API serves a page of commitments, as ratios against a raw baseline in the same run.

    .venv/bin/python bench/commitments_list.py                   # 20,000 commitments, SQLite
    .venv/bin/python bench/commitments_list.py --rows 100000 --rounds 15
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench .venv/bin/python bench/commitments_list.py

Baseline: the same 100 rows with the same nested names (the columns below, plus their thread
entries) fetched with `.values()` and dumped with orjson, no DRF at all.
Measured against it, each round, in the same process:

- api page 1 / deep page: GET /api/v1/commitments/?page_size=100 through DRF (routing,
  filtering, keyset pagination, CommitmentRowSerializer, orjson renderer), first page and a
  page 90% deep into the table through its cursor;
- model serializer: CommitmentSerializer over model instances (select_related and prefetch),
  dumped with orjson, for contrast.

Each ratio is the median of per-round ratios (the rounds interleave the paths, so drifts in
the machine's speed hit all of them alike). Nothing here is a pass/fail threshold.
The SQLite database is a temporary file, removed at the end. BENCH_DATABASE_URL (never the
app's DATABASE_URL) names another database: its tables are emptied and filled by the run, so
one that holds statements is refused unless --force is given.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# What a list row shows, read raw: the commitment's columns and the names of what it points to.
RAW_COLUMNS = (
    "id",
    "slug",
    "quote",
    "start",
    "end",
    "actor",
    "strength",
    "summary",
    "assessable",
    "deadline",
    "deadline_text",
    "amount",
    "currency",
    "note",
    "latest_status",
    "statement__slug",
    "statement__title",
    "statement__meeting__slug",
    "statement__meeting__name",
    "statement__meeting__start_date",
    "line_of_effort__slug",
    "line_of_effort__name",
)


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-key")  # noqa: S105 - a throwaway database
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    # The anonymous throttle still runs (its cost is measured), with a rate the run cannot reach.
    os.environ.setdefault("API_ANON_RATE", "1000000/minute")
    import django

    django.setup()


def fill(rows, force=False):
    """The seed, plus synthetic commitments quoting the seed statements, up to `rows` in all."""
    from django.core.management import call_command
    from django.db import connection

    from commitments.models import Commitment, LineOfEffort, Thread, ThreadEntry
    from meetings.models import Statement

    call_command("migrate", verbosity=0)
    if Statement.objects.exists() and not force:
        raise SystemExit("The benchmark database holds statements: it would be emptied. Use --force if it may be.")
    call_command("flush", "--noinput", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures" / "seed.json"), verbosity=0)
    statements = list(Statement.objects.all())
    lines = list(LineOfEffort.objects.all())
    threads = list(Thread.objects.all())
    from synthetic import synthetic_commitments

    Commitment.objects.bulk_create(
        synthetic_commitments(rows - Commitment.objects.count(), statements, lines), batch_size=5000
    )
    # A third of the synthetic commitments sit in a recurring pledge, as in the seed.
    entries, positions = [], {t.pk: t.entries.count() for t in threads}
    for i, pk in enumerate(Commitment.objects.filter(slug__startswith="bench-").values_list("pk", flat=True)):
        if i % 3 == 0:
            thread = threads[i % len(threads)]
            positions[thread.pk] += 1
            entries.append(
                ThreadEntry(thread=thread, commitment_id=pk, position=positions[thread.pk], change_kind="repeated")
            )
    ThreadEntry.objects.bulk_create(entries, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Commitment.objects.count()


def timed(fn, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def run(rounds, repeat):
    import orjson
    from rest_framework.test import APIClient

    from api.serializers import CommitmentSerializer
    from commitments.models import Commitment, ThreadEntry

    client = APIClient()
    total = Commitment.objects.count()
    deep_id = Commitment.objects.order_by("id").values_list("id", flat=True)[int(total * 0.9)]

    def baseline(after_id=0):
        page = Commitment.objects.with_latest_status().filter(id__gt=after_id).order_by("id")
        rows = list(page.values(*RAW_COLUMNS)[:100])
        places = ThreadEntry.objects.entries_for([row["id"] for row in rows])
        for row in rows:
            row["threads"] = places.get(row["id"], [])
        return orjson.dumps(rows, default=str)

    first_url = "/api/v1/commitments/?page_size=100"

    def get(url):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]!r}")
        return response.content

    def api_first():
        return get(first_url)

    def api_deep():
        return get(deep_page_url)

    def model_serializer():
        page = Commitment.objects.for_list().order_by("id")[:100]
        return orjson.dumps(CommitmentSerializer(page, many=True).data, default=str)

    # A cursor URL pointing 90% into the table, built as the paginator builds its own.
    import base64
    from urllib.parse import urlencode

    token = base64.b64encode(f"p={deep_id}".encode()).decode()
    deep_page_url = f"/api/v1/commitments/?{urlencode({'page_size': 100, 'cursor': token})}"
    if len(client.get(deep_page_url).json()["results"]) != 100:
        raise SystemExit("the deep cursor page is not a full page")

    paths = {
        "api page 1": api_first,
        "api deep page (90%)": api_deep,
        "model serializer, page 1": model_serializer,
    }
    for fn in (lambda: baseline(), lambda: baseline(deep_id), *paths.values()):
        fn()  # warm caches and connections
    ratios = {name: [] for name in paths}
    base_times, deep_base_times = [], []
    for _ in range(rounds):
        base = timed(baseline, repeat)
        deep_base = timed(lambda: baseline(deep_id), repeat)
        base_times.append(base)
        deep_base_times.append(deep_base)
        for name, fn in paths.items():
            elapsed = timed(fn, repeat)
            ratios[name].append(elapsed / (deep_base if "deep" in name else base))
    return total, statistics.median(base_times), statistics.median(deep_base_times), ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="commitments in the table (default 20000)")
    parser.add_argument("--rounds", type=int, default=25, help="interleaved rounds (default 25)")
    parser.add_argument("--repeat", type=int, default=5, help="calls per path per round (default 5)")
    parser.add_argument("--force", action="store_true", help="empty a BENCH_DATABASE_URL database that holds data")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        setup_django(url)
        from django.db import connection

        started = time.perf_counter()
        total = fill(args.rows, force=args.force)
        print(f"{connection.vendor}: {total} commitments, filled in {time.perf_counter() - started:.1f} s")
        total, base, deep_base, ratios = run(args.rounds, args.repeat)
        print(
            f"baseline (.values() + orjson, 100 rows): page 1 {base * 1000:.2f} ms, deep page {deep_base * 1000:.2f} ms"
        )
        print(f"median of {args.rounds} per-round ratios against the baseline of the same page:")
        for name, values in ratios.items():
            print(f"  {name:28s} {statistics.median(values):5.2f}x   (min {min(values):.2f}, max {max(values):.2f})")
        connection.close()


if __name__ == "__main__":
    main()
