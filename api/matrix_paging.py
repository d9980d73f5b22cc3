"""How the aggregates over meetings are windowed, today's and as of a date alike: the pledge matrix and the
commitments per line of effort and meeting list a window of years of meetings at a time (the matrix also
pages by pledge), so that no answer grows with the record; whole, as they always were, while small."""

from rest_framework.utils.urls import remove_query_param, replace_query_param

from meetings.windows import MeetingWindow, meeting_window

# Without parameters, the whole matrix is answered as it always was while it holds at most this many
# recurring pledges and `MOST_MEETINGS` meetings; beyond, the first page (the same keys, with `count`,
# `next`, `previous`, `earlier` and `later`).
UNPAGED_MOST_PLEDGES = 200

# The meetings an answer lists: whole years holding at most this many (a single year that holds more,
# whole). A tracker of real meetings (two to four a year) stays inside for decades; a larger record is
# read a window of years at a time.
MOST_MEETINGS = 60


def matrix_window(per_year, filters) -> MeetingWindow:
    """The years whose meetings an answer lists, from `Meeting.objects.per_year()` rows and the years asked
    (`meetings.windows.meeting_window`): every meeting of the years asked while they hold at most
    `MOST_MEETINGS`, else whole years that do: from `year_from` on, back from `year_to`, or the latest."""
    year_from, year_to = filters.get("year_from"), filters.get("year_to")
    return meeting_window(per_year, year_from, year_to, recent=MOST_MEETINGS, most=MOST_MEETINGS)


def is_paged(filters, window: MeetingWindow, count: int) -> bool:
    """Whether the answer is a page: any parameter asked, meetings beyond the window, or more pledges than
    the whole matrix is answered with."""
    return bool(filters) or window.narrowed or count > UNPAGED_MOST_PLEDGES


def window_links(request, window: MeetingWindow) -> dict:
    """The addresses of the same answer for the meetings `earlier` and `later` than the window's (the same
    filters and page size, from the first page), None where there are none."""

    def years(**asked):
        url = request.build_absolute_uri()
        for key in ("page", "year_from", "year_to"):
            url = remove_query_param(url, key)
        for key, value in asked.items():
            url = replace_query_param(url, key, value)
        return url

    return {
        "earlier": None if window.earlier is None else years(year_to=window.earlier),
        "later": None if window.later is None else years(year_from=window.later),
    }


def paging_keys(request, paging, count: int, window: MeetingWindow) -> dict:
    """A paged matrix's own keys: the pledges' `count`, the `next` and `previous` pages (`paging`, a
    `PageNumberPagination` that has paged), and `window_links()`."""
    return {
        "count": count,
        "next": paging.get_next_link(),
        "previous": paging.get_previous_link(),
        **window_links(request, window),
    }


def link_header(links: dict) -> str:
    """`window_links()` as a `Link` header's value (RFC 8288): rel="prev" for the earlier meetings, "next" for
    the later ones; empty when there are none."""
    relations = {"earlier": "prev", "later": "next"}
    return ", ".join(f'<{url}>; rel="{relations[name]}"' for name, url in links.items() if url)
