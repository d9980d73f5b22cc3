"""The benchmark's admin: the commitments' changelist on its first page, 90 % deep (by key, as its "Older"
links reach it), filtered by status, and filtered by status with a search, each against a raw baseline that
reads what the page shows (`raw_changelist`): its rows, their pledges, the filters' lists, the bounded count.

`bench/measure.py` runs `group_admin` as the "admin" group.
"""

# What the admin's search is asked: a word many demo quotes hold (the public search's first word).
ADMIN_SEARCH = "support"
URL = "/admin/commitments/commitment/"


def subjects():
    """The deep page's key (the commitment 90 % down the newest-first list) and the commonest assessed status."""
    from django.db.models import Count

    from commitments.models import Commitment, ImplementationStatus

    ids = Commitment.objects.order_by("-pk").values_list("pk", flat=True)
    deep_key = ids[int(ids.count() * 0.9)]
    status = (
        Commitment.objects.exclude(latest_status=ImplementationStatus.NOT_ASSESSED)
        .values("latest_status")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("latest_status", flat=True)
        .first()
    ) or ImplementationStatus.NOT_ASSESSED
    return deep_key, status


def raw_changelist(after=None, status=None, search=None):
    """What a changelist page shows, read raw: 50 rows newest first after the key (filtered by the stored
    status, and by the search's index or the start of a slug), the lines of effort and statuses its
    filters list, the meetings and pledges they list (up to their bound), the count up to its bound,
    and the page's places in pledges."""
    from django.db.models import Q

    from bench.baselines import dumps
    from commitments.admin import CommitmentAdmin
    from commitments.models import Commitment, ImplementationStatus, LineOfEffort, Thread, ThreadEntry
    from core.admin.filters import BoundedRelatedFilter
    from core.admin.paging import BoundedPaginator
    from meetings.models import Meeting

    rows = Commitment.objects.order_by("-pk")
    if after is not None:
        rows = rows.filter(pk__lt=after)
    if status:
        rows = rows.filter(latest_status=status)
    if search:
        slug_starts = Q(slug__gte=search, slug__lt=search + "\U0010ffff")
        rows = rows.filter(Q(pk__in=Commitment.objects.search(search).values("pk")) | slug_starts)
    count = rows[: BoundedPaginator.bound + 1].count()
    page = list(
        rows.values(
            "pk",
            "quote",
            "statement__meeting__city",
            "statement__meeting__start_date",
            "line_of_effort__name",
            "strength",
            "latest_status",
        )[: CommitmentAdmin.list_per_page]
    )
    places = ThreadEntry.objects.filter(commitment_id__in=[row["pk"] for row in page]).values_list(
        "commitment_id", "thread__title"
    )
    listed = BoundedRelatedFilter.MAX_LISTED + 1
    filters = [
        list(LineOfEffort.objects.values_list("pk", "name")),
        list(Meeting.objects.order_by("-start_date").values_list("pk", "city", "start_date")[:listed]),
        list(Thread.objects.values_list("pk", "title")[:listed]),
        ImplementationStatus.choices,
    ]
    return dumps([count, page, list(places), filters])


def group_admin(options):
    """The changelist's four pages, each timed against its raw read (interleaved rounds), with its queries."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.measure import against, client_get, figure, queries_of

    user, _ = get_user_model().objects.get_or_create(
        username="bench-curator", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    deep_key, status = subjects()
    pages = [
        ("admin commitments changelist, page 1", URL, raw_changelist),
        (
            "admin commitments changelist, 90% deep (by key)",
            f"{URL}?after={deep_key}",
            lambda: raw_changelist(after=deep_key),
        ),
        (
            "admin commitments changelist, filtered by status",
            f"{URL}?status={status}",
            lambda: raw_changelist(status=status),
        ),
        (
            "admin commitments changelist, filtered by status and searched",
            f"{URL}?status={status}&q={ADMIN_SEARCH}",
            lambda: raw_changelist(status=status, search=ADMIN_SEARCH),
        ),
    ]
    figures = []
    for name, url, raw in pages:
        ratio, took, base = against(lambda url=url: client_get(client, url), raw, options.rounds, repeat=1)
        queries = queries_of(lambda url=url: client_get(client, url))
        figures.append(figure(name, ratio, took, base, 2, queries=queries, status=status))
    return figures
