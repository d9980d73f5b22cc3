"""One group of the benchmark's measurements, in a fresh process; prints its figures as JSON.

Run by `bench/run.py`, which says which database (DATABASE_URL) and group. Each figure is a dict:
name, value (milliseconds, seconds or MiB, as the name says), baseline, ratio, target, pass, and
where it matters the page's query count.
"""

import argparse
import base64
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

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
HTTP_CONCURRENCY = 8
HTTP_SECONDS = 5


def peak_mib():
    """This process's peak resident memory (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup():
    import gc

    import django

    django.setup()
    # As gunicorn.conf.py's workers do once the app is loaded: the collector no longer walks it.
    gc.freeze()


def timed(fn, repeat):
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def against(path, baseline, rounds, repeat=3):
    """Median of per-round ratios path/baseline, with the median times (ms); rounds interleave the two,
    the baseline first in even rounds and the path first in odd ones, so neither always runs warmer."""
    path(), baseline()  # warm caches and connections
    ratios, times, bases = [], [], []
    for index in range(rounds):
        if index % 2:
            took = timed(path, repeat)
            base = timed(baseline, repeat)
        else:
            base = timed(baseline, repeat)
            took = timed(path, repeat)
        ratios.append(took / base)
        times.append(took)
        bases.append(base)
    return statistics.median(ratios), statistics.median(times) * 1000, statistics.median(bases) * 1000


def figure(name, ratio, value, baseline, bound, unit="ms", **extra):
    return {
        "name": name,
        "value": round(value, 3),
        "baseline": round(baseline, 3),
        "unit": unit,
        "ratio": round(ratio, 2),
        "target": f"<= {bound}",
        "pass": ratio <= bound,
        **extra,
    }


def queries_of(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def client_get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    return response.content


# --- the commitments list ---------------------------------------------------------------------------


def raw_page(after_id=0):
    """The list's page read raw: the same rows and thread entries, dumped with orjson, no DRF."""
    import orjson

    from commitments.models import Commitment, ThreadEntry

    page = Commitment.objects.filter(id__gt=after_id).order_by("id")
    rows = list(page.values(*RAW_COLUMNS)[:100])
    entries = ThreadEntry.objects.entries_for([row["id"] for row in rows])
    for row in rows:
        row["threads"] = entries.get(row["id"], [])
    return orjson.dumps(rows, default=str)


def deep_cursor_url():
    from commitments.models import Commitment

    ids = Commitment.objects.order_by("id").values_list("id", flat=True)
    deep_id = ids[int(ids.count() * 0.9)]
    token = base64.b64encode(f"p={deep_id}".encode()).decode()
    return f"/api/v1/commitments/?{urlencode({'page_size': 100, 'cursor': token})}", deep_id


def group_list(options):
    from bench.production import client as many_clients

    client = many_clients()
    first = "/api/v1/commitments/?page_size=100"
    deep, deep_id = deep_cursor_url()
    ratio, took, base = against(lambda: client_get(client, first), raw_page, options.rounds)
    queries = queries_of(lambda: client_get(client, first))
    deep_ratio, deep_took, first_took = against(
        lambda: client_get(client, deep), lambda: client_get(client, first), options.rounds
    )
    return [
        figure("commitments list, page 1 (100, nested), whole stack", ratio, took, base, 1.3, queries=queries),
        figure("commitments list, page 90% deep vs page 1", deep_ratio, deep_took, first_took, 1.1),
    ]


def group_changes(options):
    """A page of the change feed (100 changes) at the start and 90 % deep (`since`), each against the same
    rows read raw, and the deep page against the first: a fixed cost whatever its position."""
    from bench.feed_rows import FEED_PAGE, deep_cursor, raw_feed_page, synthetic_changes
    from bench.production import client as many_clients

    rows = synthetic_changes()
    client, cursor = many_clients(), deep_cursor()
    first = f"/api/v1/changes/?page_size={FEED_PAGE}"
    deep = f"{first}&{urlencode({'since': cursor})}"
    ratio, took, base = against(lambda: client_get(client, first), raw_feed_page, options.rounds)
    deep_ratio, deep_took, deep_base = against(
        lambda: client_get(client, deep), lambda: raw_feed_page(cursor), options.rounds
    )
    position, position_took, first_took = against(
        lambda: client_get(client, deep), lambda: client_get(client, first), options.rounds
    )
    queries = {"queries": queries_of(lambda: client_get(client, deep)), "rows": rows}
    return [
        figure("change feed, page 1 (100), whole stack", ratio, took, base, 2, **queries),
        figure("change feed, page 90% deep (since), whole stack", deep_ratio, deep_took, deep_base, 2, **queries),
        figure("change feed, page 90% deep vs page 1", position, position_took, first_took, 1.1),
    ]


# --- thread timeline, pledge matrix, public pages -------------------------------------------------


def group_pages(options):
    from bench.baselines import (
        SEARCH_WORDS,
        commitment_subject,
        matrix_filters,
        matrix_pages,
        page_subjects,
        raw_commitment,
        raw_commitments,
        raw_follow_through,
        raw_line_counts,
        raw_lines,
        raw_matrix_page,
        raw_meeting,
        raw_meetings,
        raw_member_verdicts,
        raw_pledge,
        raw_public_matrix,
        raw_search,
        raw_statement,
        raw_timeline,
        raw_verdicts,
    )
    from bench.past import raw_pledge_as_of, with_versions
    from bench.production import client as many_clients
    from core.when import stamp

    client = many_clients()
    thread, meeting, statement = page_subjects()
    commitment = commitment_subject(statement)
    # Ten more versions of every record on the pledge's page, the moment halfway (bench/past.py).
    moment = with_versions(thread)
    matrix = "/api/v1/aggregates/pledge-matrix/"
    deep = max(1, int(matrix_pages() * 0.9))
    filters = matrix_filters()
    pages = [
        ("thread timeline (API)", f"/api/v1/threads/{thread.slug}/", lambda: raw_timeline(thread)),
        # Paged by pledge: a page costs the same however many pledges and entries there are.
        ("pledge matrix (API aggregate), page 1", f"{matrix}?page=1", raw_matrix_page),
        ("pledge matrix (API aggregate), page 90% deep", f"{matrix}?page={deep}", lambda: raw_matrix_page(deep)),
        (
            "pledge matrix (API aggregate), years and line",
            f"{matrix}?{urlencode({'year_from': filters['year_from'], 'line_of_effort': filters['line']})}",
            lambda: raw_matrix_page(**filters),
        ),
        # Counted once per change of the data: a read against counting the table as every read did.
        ("commitments by line (API aggregate)", "/api/v1/aggregates/commitments-by-line/", raw_line_counts),
        ("public: pledge matrix", "/", raw_public_matrix),
        ("public: a pledge's story", f"/pledges/{thread.slug}/", lambda: raw_pledge(thread)),
        ("public: meetings", "/meetings/", raw_meetings),
        ("public: a meeting", f"/meetings/{meeting.slug}/", lambda: raw_meeting(meeting)),
        ("public: a statement", f"/statements/{statement.slug}/", lambda: raw_statement(statement)),
        ("public: lines of effort", "/lines-of-effort/", raw_lines),
        ("public: commitments", "/commitments/", raw_commitments),
        ("public: a commitment", f"/commitments/{commitment.slug}/", lambda: raw_commitment(commitment)),
        ("public: search", "/search/?" + urlencode({"q": SEARCH_WORDS}), raw_search),
        ("verdicts by line of effort (API aggregate)", "/api/v1/aggregates/verdicts/?by=line", raw_verdicts),
        (
            "verdicts by meeting (API aggregate)",
            "/api/v1/aggregates/verdicts/?by=meeting",
            lambda: raw_verdicts("meeting"),
        ),
        ("verdicts by member (API aggregate)", "/api/v1/aggregates/verdicts/?by=member", raw_member_verdicts),
        ("public: follow-through", "/follow-through/", raw_follow_through),
        # The pledge's page as it stood at a moment, through eleven versions of each of its records.
        (
            "as-of page: a pledge's story as it stood then (11 versions per record)",
            f"/pledges/{thread.slug}/?{urlencode({'as_of': stamp(moment)})}",
            lambda: raw_pledge_as_of(thread.slug, moment),
        ),
    ]
    figures = []
    for name, url, raw in pages:
        ratio, took, base = against(lambda url=url: client_get(client, url), raw, options.rounds, repeat=1)
        queries = queries_of(lambda url=url: client_get(client, url))
        figures.append(figure(name, ratio, took, base, 2, queries=queries))
    return figures


# --- the admin --------------------------------------------------------------------------------------


def group_admin(options):
    # The changelist's first, deep, filtered and searched pages: bench/admin_pages.py.
    from bench.admin_pages import group_admin as admin_pages

    return admin_pages(options)


# --- HTTP under gunicorn ------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hammer(url, seconds, concurrency, addresses):
    """Requests per second that `concurrency` threads get from `url` in `seconds`, each request from the
    next of `addresses`' anonymous clients; errors (a 429 among them) raise."""
    deadline = time.perf_counter() + seconds
    counts, errors = [0] * concurrency, []

    def client(index):
        while time.perf_counter() < deadline:
            try:
                request = urllib.request.Request(url, headers={"X-Forwarded-For": addresses.next()})  # noqa: S310
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
                    response.read()
                counts[index] += 1
            except (urllib.error.URLError, OSError) as exc:
                errors.append(str(exc))
                return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{url}: {errors[:3]}")
    return sum(counts) / (time.perf_counter() - started)


def group_http(options):
    from bench.production import Addresses, static_served

    addresses = Addresses()
    port = free_port()
    env = dict(os.environ, BENCH_HTTP="1")
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "tracker.wsgi",
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--access-logfile",
        "/dev/null",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/bench/raw-commitments/", timeout=2).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        stylesheet = static_served(base)
        api, raw = f"{base}/api/v1/commitments/?page_size=100", f"{base}/bench/raw-commitments/"
        hammer(api, 1, HTTP_CONCURRENCY, addresses), hammer(raw, 1, HTTP_CONCURRENCY, addresses)  # warm both workers
        ratios, api_rates, raw_rates = [], [], []
        for index in range(max(3, options.rounds // 5)):
            # Alternating which goes first, as `against` does.
            first, second = (api, raw) if index % 2 else (raw, api)
            rates = {first: hammer(first, HTTP_SECONDS, HTTP_CONCURRENCY, addresses)}
            rates[second] = hammer(second, HTTP_SECONDS, HTTP_CONCURRENCY, addresses)
            raw_rate, api_rate = rates[raw], rates[api]
            ratios.append(api_rate / raw_rate)
            api_rates.append(api_rate)
            raw_rates.append(raw_rate)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = statistics.median(ratios)
    return [
        {
            "name": f"commitments list over HTTP, gunicorn 2 workers, {HTTP_CONCURRENCY} clients",
            "value": round(statistics.median(api_rates), 1),
            "baseline": round(statistics.median(raw_rates), 1),
            "unit": "req/s",
            "ratio": round(ratio, 2),
            "target": ">= 0.8",
            "pass": ratio >= 0.8,
            "static_served": stylesheet,
        }
    ]


# --- snapshots ----------------------------------------------------------------------------------------


def group_snapshot(options):
    """Export and restore against plain and natural-key dumpdata/loaddata: `bench/snapshot_figures.py`."""
    from bench.snapshot_figures import group_snapshot

    return group_snapshot(options)


# --- ingest -----------------------------------------------------------------------------------------


def new_statement(words=2000):
    """A statement that is not stored: the seed's pledges, varied, in paragraphs, about `words` long."""
    import random

    from demo.synthetic import Vocabulary, varied

    rng = random.Random(2022)  # noqa: S311 - reproducible benchmark input
    vocabulary = Vocabulary.from_seed()
    paragraphs, count = [], 0
    while count < words:
        sentence = varied(rng.choice(vocabulary.pledges)[0], rng, 2030)
        if rng.random() < 0.4:
            sentence += " " + rng.choice(vocabulary.filler)
        paragraphs.append(sentence)
        count += len(sentence.split())
    return "Statement of the Political Directors\n\n" + "\n\n".join(paragraphs) + "\n"


def group_ingest(options):
    from ingest.services import suggestions_for_text

    text = new_statement()
    suggestions_for_text(text)  # warm
    took = statistics.median(timed(lambda: suggestions_for_text(text), 1) for _ in range(max(3, options.rounds // 3)))
    return [
        {"name": "ingest suggestions, 2,000 words", "value": round(took, 3), "unit": "s", "words": len(text.split())}
    ]


# --- import --------------------------------------------------------------------------------------------


def group_import(options):
    """Importing every commitment from its CSV export (`import_file`, the bulk path) into the database
    without them, against `loaddata` of the same commitments dumped as a plain (pk-based) fixture.

    Both run on the same state: the commitments and the records that point at them are deleted in an
    outer transaction, each import or load runs in a savepoint rolled back, and the outer transaction
    is rolled back at the end, so the database is left as it was for the groups after this one.
    """
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction

    from api.imports import import_file
    from bench.production import client as many_clients
    from commitments.models import Commitment
    from snapshots.records import curated_models

    user, _ = get_user_model().objects.get_or_create(
        username="bench-importer", defaults={"is_staff": True, "is_superuser": True}
    )
    fixture = Path(options.workdir) / f"commitments-{os.getpid()}.json"
    call_command("dumpdata", "commitments.commitment", output=str(fixture), verbosity=0)
    data = b"".join(many_clients().get("/api/v1/commitments/?format=csv").streaming_content)
    count = Commitment.objects.count()

    def rolled_back(fn):
        def run():
            with transaction.atomic():
                fn()
                transaction.set_rollback(True)

        return run

    def imported():
        result = import_file(data, "commitments.csv", user=user)
        if not result.applied or result.counts()["create"] != count:
            raise SystemExit(f"the import did not create the {count} commitments: {result.errors[:3]}")

    with transaction.atomic():
        for model in reversed(curated_models()):  # the commitments, after what points at them
            for field in model._meta.concrete_fields:  # an assessment superseding another protects it
                if field.is_relation and field.related_model is model and field.null:
                    model._default_manager.update(**{field.name: None})
            model._default_manager.all().delete()
            if model is Commitment:
                break
        ratio, took, base = against(
            rolled_back(imported),
            rolled_back(lambda: call_command("loaddata", str(fixture), verbosity=0)),
            max(3, options.rounds // 5),
            repeat=1,
        )
        transaction.set_rollback(True)
    return [figure(IMPORT_FIGURE, ratio, took, base, 0.5, rows=count)]


IMPORT_FIGURE = "import commitments (CSV) vs loaddata of the same records"

GROUPS = {
    "list": group_list,
    "pages": group_pages,
    "admin": group_admin,
    "http": group_http,
    "snapshot": group_snapshot,
    "ingest": group_ingest,
    "import": group_import,
    "changes": group_changes,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("group", choices=GROUPS)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--empty-url", help="snapshot: a migrated empty database, cloned for each load")
    options = parser.parse_args()
    setup()
    print(json.dumps(GROUPS[options.group](options)))


if __name__ == "__main__":
    main()
