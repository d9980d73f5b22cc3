"""The change feed's rows for the benchmark, and the raw read a page of the feed is timed against.

`generate_demo` records no change per record (it writes one `reset` marker, as a bulk load does), so
the feed would be empty: `synthetic_changes` writes one `created` change per generated commitment,
in bulk, with what the recording module would give it (resource, key, object id, line of effort and
meeting slugs), and the version as a synthetic stand-in (the ETag's cost is the record's, not the
feed's). They are SYNTHETIC rows, in a throwaway database, for timing only.
"""

FEED_PAGE = 100


def synthetic_changes(batch=5_000):
    """One `created` change per commitment (unless there already are as many), in bulk; returns the feed's size."""
    from django.db import connection, transaction
    from django.utils import timezone

    from changes.models import Action, Change
    from commitments.models import Commitment

    commitments = Commitment.objects.order_by("pk").values_list(
        "pk", "slug", "line_of_effort__slug", "statement__meeting__slug"
    )
    now = timezone.now()
    if Change.objects.count() >= commitments.count():
        return Change.objects.count()
    with transaction.atomic():
        xid = 0
        if connection.vendor == "postgresql":  # as changes.recording writes it: the writing transaction's id
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id()::text::bigint")
                xid = cursor.fetchone()[0]
        rows = (
            Change(
                xid=xid,
                resource="commitments",
                key=slug,
                object_id=pk,
                action=Action.CREATED,
                version=f'W/"synthetic-{pk}"',
                at=now,
                line_of_effort=line,
                meeting=meeting,
            )
            for pk, slug, line, meeting in commitments.iterator(chunk_size=batch)
        )
        Change.objects.bulk_create(rows, batch_size=batch)
    return Change.objects.count()


def deep_cursor(fraction=0.9):
    """The cursor of the change `fraction` of the way into the feed (as the feed gives it: `xid-id`)."""
    from changes.models import Change

    ordered = Change.objects.committed().public().in_feed_order()
    change = ordered[int(ordered.count() * fraction)]
    return change.cursor


def raw_feed_page(cursor=None):
    """A page of the feed read raw: the same rows after the cursor, in feed order, as `.values()` dumped with orjson."""
    from bench.baselines import dumps
    from changes.feed import COLUMNS, following
    from changes.models import Change

    changes = Change.objects.committed().public()
    if cursor:
        xid, pk = (int(part) for part in cursor.split("-"))
        changes = following(changes, xid, pk)  # the feed's own filter, without its check of the cursor
    return dumps(list(changes.in_feed_order().values(*COLUMNS)[: FEED_PAGE + 1]))
