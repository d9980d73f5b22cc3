"""A page of a long query's rows with the count of all of them, in one query."""

from django.db.models import Count, QuerySet, Window

# The deepest row a page may start at: past it, no database reads an OFFSET (SQLite's is a 64-bit integer).
DEEPEST = 2**62


def counted_slice(queryset: QuerySet, start: int, stop: int) -> tuple[list, int | None]:
    """The primary keys of `queryset[start:stop]` and the count of all its rows, in one query: each row of
    the slice carries `COUNT(*) OVER ()`, so the rows chosen are found once, not once to count and again
    to slice, and no list of every key is read. The count is None where the slice holds no row (past the
    end, or nothing to page): whoever needs it then counts."""
    if start >= DEEPEST:
        return [], None
    counted = queryset.annotate(counted=Window(Count("*"))).values_list("pk", "counted")
    rows = list(counted[start:stop])
    return [pk for pk, _ in rows], (rows[0][1] if rows else None)
