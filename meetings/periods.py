"""The date or period a figure is about, read as precisely as it was recorded."""

import datetime


def month_end(day: datetime.date) -> datetime.date:
    """The last day of `day`'s month."""
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _from_label(day: datetime.date) -> str:
    # A period's first day as precisely as it was written: 1 January is a year, the 1st a month.
    if (day.month, day.day) == (1, 1):
        return str(day.year)
    if day.day == 1:
        return f"{day:%B} {day.year}"
    return f"{day.day} {day:%B} {day.year}"


def _to_label(day: datetime.date) -> str:
    # A period's last day as precisely as it was written: 31 December is a year, a month's last day a month.
    if (day.month, day.day) == (12, 31):
        return str(day.year)
    if day == month_end(day):
        return f"{day:%B} {day.year}"
    return f"{day.day} {day:%B} {day.year}"


def period_label(about_from: datetime.date | None, about_to: datetime.date | None) -> str:
    """The date or period a figure is about, as precisely as it was recorded: “2014”, “July–September 2016”,
    “since August 2016”, “up to 23 March 2019”; empty when neither end is recorded."""
    if about_from and about_to:
        start, end = _from_label(about_from), _to_label(about_to)
        if start == end:  # “2014”, “July 2016”, one day
            return start
        if start.isdigit() and end.isdigit():  # years: “2014–2019”
            return f"{start}–{end}"
        if about_from.year == about_to.year and not start.isdigit() and not end.isdigit():
            # The year once, at the end: “July–September 2016”, “July – 28 September 2016”.
            start = start.removesuffix(f" {about_from.year}")
            if " " not in start and " " not in end.rsplit(" ", 1)[0]:
                return f"{start}–{end}"
        return f"{start} – {end}"
    if about_from:
        return f"since {_from_label(about_from)}"
    if about_to:
        return f"up to {_to_label(about_to)}"
    return ""
