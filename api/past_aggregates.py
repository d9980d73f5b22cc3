"""The aggregates as of a date (`?as_of=`): the pledge matrix, paged as today's, from the rows of then.

The other aggregates' past answers are one call each in `api.aggregates` (`commitments.past_counts` and
`commitments.past_aggregates` count them); the matrix's paging and filters of then are here, its entries,
pledges and cells of then read through `commitments.past_matrix`, as the public matrix page reads them.
"""

from rest_framework.exceptions import ValidationError

from commitments.models import LineOfEffort, Thread
from commitments.past_lists import id_then
from commitments.past_matrix import (
    matrix_cells_as_of,
    matrix_entries_as_of,
    matrix_meetings_as_of,
    matrix_threads_as_of,
)
from core import when as moments
from meetings.windows import per_year_of

from .matrix_paging import is_paged, matrix_window, paging_keys
from .pagination import PageNumberPagination


def matrix_as_of(request, moment, filters, *, sees_drafts):
    """The pledge matrix as it stood at `moment`, asked with `filters` (a line of effort by its slug then):
    (the window's meetings, cells as `ThreadEntry.objects.meeting_matrix()` rows, the paging keys or None
    when unpaged), windowed and paged as today's (`api.matrix_paging`), in three queries, four with a line
    of effort."""
    line = filters.get("line_of_effort")
    line_id = None if line is None else id_then(LineOfEffort, line, moment)
    if line is not None and line_id is None:
        label = moments.label(moment)
        raise ValidationError({"line_of_effort": [f"No line of effort had the slug “{line}” as of {label}."]})
    # Every meeting of then (a few columns each), as the public matrix of then reads them: the years around
    # the window are its `earlier` and `later`.
    standing = matrix_meetings_as_of(moment, sees_drafts=sees_drafts)
    window = matrix_window(per_year_of(standing), filters)
    meetings = [m for m in standing if window.holds(m["start_date"])]
    entries = matrix_entries_as_of(moment, [meeting["id"] for meeting in meetings], sees_drafts=sees_drafts)
    # Paged by the pledges' versions of then (`history_id`, the historical rows' key `counted_page` reads).
    versions = matrix_threads_as_of(moment, entries, line_id=line_id).values_list("history_id", flat=True)
    paging = PageNumberPagination()
    page, count = paging.counted_page(versions, request)
    paged = is_paged(filters, window, count)
    threads = Thread.history.model.objects.filter(history_id__in=page).values("id") if paged else None
    shown = [{key: meeting[key] for key in ("slug", "name", "start_date")} for meeting in meetings]
    keys = paging_keys(request, paging, count, window) if paged else None
    return shown, matrix_cells_as_of(entries, moment, threads=threads), keys
