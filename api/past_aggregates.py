"""The aggregates as of a date (`?as_of=`): the pledge matrix, paged as today's, from the rows of then.

The other aggregates' past answers are one call each in `api.aggregates` (`commitments.past_aggregates`
counts them); the matrix's paging and filters of then are here.
"""

from rest_framework.exceptions import ValidationError

from commitments.models import LineOfEffort
from commitments.past_aggregates import (
    matrix_cells_as_of,
    matrix_entries_as_of,
    matrix_meetings_as_of,
    matrix_versions_as_of,
    of_versions,
)
from commitments.past_lists import id_then
from core import when as moments

from .pagination import PageNumberPagination


def matrix_as_of(request, moment, filters, *, sees_drafts, unpaged_most):
    """The pledge matrix as it stood at `moment`, asked with `filters` (a line of effort by its slug then):
    (meetings, cells as `ThreadEntry.objects.meeting_matrix()` rows, the paging keys or None when unpaged),
    in three queries as today's, four with a line of effort."""
    line = filters.get("line_of_effort")
    if line is not None and id_then(LineOfEffort, line, moment) is None:
        label = moments.label(moment)
        raise ValidationError({"line_of_effort": [f"No line of effort had the slug “{line}” as of {label}."]})
    years = "year_from" in filters or "year_to" in filters
    meetings = matrix_meetings_as_of(
        moment, sees_drafts=sees_drafts, year_from=filters.get("year_from"), year_to=filters.get("year_to")
    )
    entries = matrix_entries_as_of(
        moment,
        sees_drafts=sees_drafts,
        meeting_ids=[meeting["id"] for meeting in meetings] if years else None,
        line_of_effort=line,
    )
    paging = PageNumberPagination()
    page, count = paging.counted_page(matrix_versions_as_of(entries, moment), request)
    paged = bool(filters) or count > unpaged_most
    if paged:
        entries = of_versions(entries, page)
    shown = [{key: meeting[key] for key in ("slug", "name", "start_date")} for meeting in meetings]
    keys = {"count": count, "next": paging.get_next_link(), "previous": paging.get_previous_link()}
    return shown, matrix_cells_as_of(entries, moment), keys if paged else None
