"""How the suggestions for a new statement scale with the commitments stored: 1,000 against 100,000.

    .venv/bin/python bench/ingest_scale.py                 # a temporary SQLite file
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench .venv/bin/python bench/ingest_scale.py

The database is filled with the seed, then with synthetic meetings whose statements are made of the
seed's commitments reworded (other countries, actors, verbs, years, a clause borrowed from another
pledge), every synthetic commitment placed in a recurring pledge that runs through fifty meetings.
At 1,000 and then at 100,000 stored commitments it times the dry run (`ingest --dry-run`: segmenting,
full-text retrieval, ranking, change kinds, figures) for a new statement of about 2,000 words built
the same way, and prints the medians and their ratio. Nothing here is a pass/fail threshold.

The SQLite database is a temporary file, removed at the end. BENCH_DATABASE_URL (never the app's
DATABASE_URL) names another database: its tables are emptied and filled by the run, so one that
holds statements is refused unless --force is given.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

COMMITMENTS_PER_STATEMENT = 50
MEETINGS_PER_THREAD = 50
FIRST_MEETING = datetime.date(2022, 1, 1)

PLACES = (
    "Iraq Syria Libya Mali Niger Nigeria Chad Somalia Mozambique Afghanistan Yemen Burkina-Faso Cameroon "
    "the-Sahel West-Africa East-Africa the-Lake-Chad-Basin the-Philippines Egypt Tunisia Kenya Uganda "
    "the-Democratic-Republic-of-the-Congo Benin Togo Ghana Mauritania Senegal Sri-Lanka Indonesia"
).split()
ACTORS = (
    "The Coalition",
    "The Ministers",
    "The Political Directors",
    "We",
    "Coalition partners",
    "Small Group members",
)
VERBS = (
    ("will continue to", "remain committed to", "must continue to", "are determined to", "agreed to"),
    ("welcome", "support", "note", "commend", "recognize", "encourage"),
)


def setup_django(database_url):
    from commitments_list import setup_django as setup

    setup(database_url)


def reword(quote, rng):
    """A seed quote said again: other places, another actor and verb, sometimes a borrowed clause."""
    words = " ".join(quote.split())
    for place in ("Iraq", "Syria", "Libya", "Africa", "the Sahel", "Mosul", "Raqqa", "Sirte"):
        if place in words and rng.random() < 0.6:
            words = words.replace(place, rng.choice(PLACES).replace("-", " "))
    for group in VERBS:
        for verb in group:
            if f" {verb} " in words and rng.random() < 0.5:
                words = words.replace(f" {verb} ", f" {rng.choice(group)} ", 1)
                break
    if words.startswith(("We ", "The Coalition ", "The Ministers ")) and rng.random() < 0.5:
        words = rng.choice(ACTORS) + " " + words.split(" ", 1)[1] if words.startswith("We ") else words
    return words.rstrip(".") + (f" by {2022 + rng.randrange(30)}" if rng.random() < 0.2 else "") + "."


def synthetic_statement(seed, rng, count):
    """A statement text of `count` reworded seed commitments, with the offsets of each."""
    parts, spans, offset = [], [], 0
    for index in range(count):
        item = seed[rng.randrange(len(seed))]
        quote = reword(item["quote"], rng)
        if index and index % 5 == 0:
            parts.append("\n\n")
            offset += 2
        elif index:
            parts.append(" ")
            offset += 1
        spans.append((item, offset, offset + len(quote), quote))
        parts.append(quote)
        offset += len(quote)
    return "".join(parts), spans


def fill(target, state, rng):
    """Add synthetic meetings until `target` commitments are stored; returns the number stored."""
    from commitments.models import Commitment, Thread, ThreadEntry
    from meetings.models import Meeting, Statement, sha256_hex

    while Commitment.objects.count() < target:
        batch = min(COMMITMENTS_PER_STATEMENT, target - Commitment.objects.count())
        number = state["meetings"]
        state["meetings"] += 1
        date = FIRST_MEETING + datetime.timedelta(days=7 * number)
        meeting = Meeting.objects.create(
            slug=f"bench-meeting-{number:05d}",
            name=f"Synthetic meeting {number}",
            format="small-group",
            city="Brussels",
            country="Belgium",
            start_date=date,
            end_date=date,
        )
        text, spans = synthetic_statement(state["seed"], rng, batch)
        statement = Statement(
            slug=f"bench-statement-{number:05d}",
            meeting=meeting,
            kind="statement",
            title=f"Synthetic statement {number}",
            issuer="Political Directors",
            text=text,
            sha256=sha256_hex(text),
        )
        Statement.objects.bulk_create([statement])
        statement = Statement.objects.get(slug=statement.slug)
        commitments = [
            Commitment(
                slug=f"bench-{state['commitments'] + i:07d}",
                statement=statement,
                start=start,
                end=end,
                quote=quote,
                line_of_effort_id=item["line"],
                actor="the Coalition",
                strength=item["strength"],
                summary=reword(item["summary"], rng)[:300],
            )
            for i, (item, start, end, quote) in enumerate(spans)
        ]
        state["commitments"] += len(commitments)
        Commitment.objects.bulk_create(commitments)
        stored = dict(Commitment.objects.filter(statement=statement).values_list("slug", "id"))
        entries = []
        for commitment, (item, *_rest) in zip(commitments, spans, strict=True):
            key = (item["thread"], number // MEETINGS_PER_THREAD)
            thread_id = state["threads"].get(key)
            if thread_id is None:
                thread = Thread.objects.create(
                    slug=f"bench-{item['thread']}-{key[1]:03d}"[:100],
                    title=f"{item['thread_title']} ({key[1]})",
                    description=item["thread_description"],
                    line_of_effort_id=item["thread_line"],
                )
                thread_id = state["threads"][key] = thread.pk
            position = state["positions"].get(thread_id, 0) + 1
            if any(e.thread_id == thread_id for e in entries):
                continue  # one place per statement in a pledge
            state["positions"][thread_id] = position
            entries.append(
                ThreadEntry(
                    thread_id=thread_id,
                    commitment_id=stored[commitment.slug],
                    position=position,
                    change_kind="new" if position == 1 else "repeated",
                )
            )
        ThreadEntry.objects.bulk_create(entries)
    return Commitment.objects.count()


def seed_items():
    """The seed's commitments as material: quote, summary, line, strength and one pledge each."""
    from commitments.models import Commitment

    items = []
    seed = Commitment.objects.exclude(slug__startswith="bench-").order_by("slug")
    for commitment in seed.select_related("line_of_effort").prefetch_related("thread_entries__thread"):
        entry = next(iter(commitment.thread_entries.all()), None)
        thread = entry.thread if entry else None
        items.append(
            {
                "quote": commitment.quote,
                "summary": commitment.summary,
                "line": commitment.line_of_effort_id,
                "strength": commitment.strength,
                "thread": thread.slug if thread else commitment.slug,
                "thread_title": thread.title if thread else commitment.summary[:250],
                "thread_description": thread.description if thread else "",
                "thread_line": thread.line_of_effort_id if thread else commitment.line_of_effort_id,
            }
        )
    return items


def new_statement(seed, words=2000):
    """A statement of about `words` words that is not stored: reworded seed commitments in paragraphs."""
    rng = random.Random(20220511)  # noqa: S311 - reproducible test data, not security
    text, _ = synthetic_statement(seed, rng, 1)
    count = 2
    while len(text.split()) < words:
        text, _ = synthetic_statement(seed, random.Random(20220511), count)  # noqa: S311
        count += 1
    return "Statement of the Political Directors\n\n" + text + "\n\nMore than 8 million people have been freed."


def timed(text, rounds):
    from django.db import connection, reset_queries

    from commitments.services import suggestions_for_text

    suggestions_for_text(text)  # warm caches and connections
    times = []
    for _ in range(rounds):
        reset_queries()
        started = time.perf_counter()
        result = suggestions_for_text(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(result["suggestions"]), len(connection.queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000, help="commitments stored first (default 1000)")
    parser.add_argument("--large", type=int, default=100_000, help="commitments stored then (default 100000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs at each size (default 5)")
    parser.add_argument("--force", action="store_true", help="empty a BENCH_DATABASE_URL database that holds data")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        setup_django(url)
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from meetings.models import Statement

        settings.DEBUG = True  # counts the queries of a run
        call_command("migrate", verbosity=0)
        if Statement.objects.exists() and not args.force:
            raise SystemExit("The benchmark database holds statements: it would be emptied. Use --force if it may be.")
        call_command("flush", "--noinput", verbosity=0)
        call_command("loaddata", str(ROOT / "fixtures" / "seed.json"), verbosity=0)
        rng = random.Random(7)  # noqa: S311 - reproducible test data
        state = {"seed": seed_items(), "meetings": 0, "commitments": 0, "threads": {}, "positions": {}}
        text = new_statement(state["seed"])
        print(f"{connection.vendor}: a new statement of {len(text.split()):,} words")
        results = []
        for size in (args.small, args.large):
            started = time.perf_counter()
            stored = fill(size, state, rng)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            filled = time.perf_counter() - started
            median, suggestions, queries = timed(text, args.rounds)
            results.append(median)
            print(
                f"  {stored:>7,} commitments stored (filled in {filled:.0f} s): suggesting takes {median:.2f} s "
                f"(median of {args.rounds}), {suggestions} suggestions, {queries} queries"
            )
        print(f"  ratio {args.large:,} / {args.small:,}: {results[1] / results[0]:.2f}x")
        connection.close()


if __name__ == "__main__":
    main()
