"""A window of years: the meetings a matrix shows as its columns, and what lies outside them.

The public matrix (a screen's worth of columns) and the API's paged pledge matrix (a bounded answer)
both show the meetings of a range of whole years, never every meeting of the record: chosen here,
from the meetings counted per year (`Meeting.objects.per_year()`) and the years asked for.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class MeetingWindow:
    """The years whose meetings are the matrix's columns, and what lies outside them."""

    first: int | None  # None: no meeting at all
    last: int | None
    meetings: int
    narrowed: bool  # fewer years than asked: the latest by default, or an asked range cut to fit
    earlier: int | None  # the latest year with meetings before the window, if any
    later: int | None  # the first year with meetings after it, if any

    def holds(self, day) -> bool:
        """Whether a meeting held on `day` (a date) is one of the window's."""
        return bool(self.meetings) and self.first <= day.year <= self.last  # type: ignore[operator]


def meeting_window(per_year, year_from=None, year_to=None, *, recent: int, most: int):
    """The window of years to show, from `Meeting.objects.per_year()` rows and the years asked for.

    No years asked: the latest years that hold at least `recent` meetings (all of them in a small
    tracker). A range, or a first year: from its first year on; a last year only: back from it;
    either way whole years, at most `most` meetings unless a single year holds more.
    """
    asked = [(year, n) for year, n in per_year if (year_from or 0) <= year <= (year_to or 9999)]
    latest = year_from is None and year_to is None
    chosen, total = [], 0
    for year, n in asked if year_from is not None else reversed(asked):
        if chosen and ((latest and total >= recent) or total + n > most):
            break
        chosen.append(year)
        total += n
    if not chosen:
        return MeetingWindow(year_from, year_to, 0, False, None, None)
    first, last = min(chosen), max(chosen)
    years = [year for year, _ in per_year]
    return MeetingWindow(
        first=first,
        last=last,
        meetings=total,
        narrowed=len(chosen) < len(asked),
        earlier=max((year for year in years if year < first), default=None),
        later=min((year for year in years if year > last), default=None),
    )


def per_year_of(meetings):
    """`Meeting.objects.per_year()` rows from meetings in order (the meetings of a past moment, read whole):
    instances or rows with a `start_date`."""
    years: dict[int, int] = {}
    for meeting in meetings:
        start = meeting["start_date"] if isinstance(meeting, dict) else meeting.start_date
        years[start.year] = years.get(start.year, 0) + 1
    return sorted(years.items())
