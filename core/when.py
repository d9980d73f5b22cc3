"""`?as_of=WHEN` on a page or an API read: the moment it names, and a clear refusal where it is not read.

WHEN is a date (`2026-03-03`: the record as it stood at the end of that day, UTC) or an ISO 8601
instant (`2026-03-03T12:00:00Z`; UTC when it has no offset), not later than now. The past itself is
read through `core.as_of.standing`; this module only reads the parameter.

A view that reads `as_of` says so (`reads_as_of` on a function view or a viewset's action, `as_of_actions` on a
viewset);
`AsOfMiddleware` answers 400 for `as_of` anywhere else, so a page never shows the present to a reader
who asked for the past.
"""

import datetime
import html

from django.http import HttpResponse, JsonResponse
from django.utils import timezone

PARAMETER = "as_of"
HELP = (
    "The record as it stood at this moment: a date (2026-03-03, the end of that day in UTC) or an ISO 8601 "
    "instant (2026-03-03T12:00:00Z; UTC when no offset), not in the future."
)
# Longer than any date and time with an offset and microseconds: refused before parsing.
MAX_LENGTH = 40


class BadMoment(ValueError):
    """An `as_of` value that names no moment this site can read the record at; its message says why."""


def parse_when(text: str, now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment `text` names, in UTC: the end of the day for a date. Raises `BadMoment` with the reason."""
    text = (text or "").strip()
    now = now or timezone.now()
    moment = None
    if 0 < len(text) <= MAX_LENGTH:
        try:
            if len(text) == 10:
                day = datetime.date.fromisoformat(text)
                moment = datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)
            else:
                moment = datetime.datetime.fromisoformat(text.replace("z", "Z"))
                if timezone.is_naive(moment):
                    moment = moment.replace(tzinfo=datetime.UTC)
                # In UTC: PostgreSQL refuses an offset beyond ±15:59 that Python reads.
                moment = moment.astimezone(datetime.UTC)
        except (ValueError, OverflowError):
            moment = None
    if moment is None:
        raise BadMoment(f"“{text[:MAX_LENGTH]}” is not a moment. {HELP}")
    if moment > now and not (len(text) == 10 and moment.date() == now.date()):
        raise BadMoment(f"{label(moment)} is in the future: the record cannot be shown as it will stand.")
    return min(moment, now)


def label(moment: datetime.datetime) -> str:
    """A moment as a page says it: “7 December 2026, 18:30:05 UTC”, or for a date “3 March 2025 (end of day, UTC)”."""
    moment = moment.astimezone(datetime.UTC)
    if moment.time() == datetime.time.max:
        return f"{moment.day} {moment:%B %Y} (end of day, UTC)"
    return f"{moment.day} {moment:%B %Y, %H:%M:%S} UTC"


def stamp(moment: datetime.datetime) -> str:
    """A moment as an `as_of` value: 2026-12-07T18:30:05.123456Z. To the microsecond, as the history is dated:
    rounded down to the second, a dated link would leave out a change made earlier in that second."""
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def reads_as_of(view):
    """Mark a function view as one that reads `as_of` (`AsOfMiddleware` lets the parameter through)."""
    view.reads_as_of = True
    return view


def supports_as_of(view_func, method: str) -> bool:
    """Whether the view (a function view, or a viewset's action for this method) reads `as_of`."""
    if getattr(view_func, "reads_as_of", False):
        return True
    action = (getattr(view_func, "actions", None) or {}).get(method.lower())
    viewset = getattr(view_func, "cls", None)
    if action is None or viewset is None:
        return False
    # An action listed in `as_of_actions`, or one marked `reads_as_of` itself (a mixin's extra action).
    return action in getattr(viewset, "as_of_actions", ()) or getattr(
        getattr(viewset, action, None), "reads_as_of", False
    )


REFUSED = "This address cannot be read as of a past date (yet): as_of is read by the pages and API reads listed in "
REFUSED_DOCS = "docs/reading-and-curating.md and docs/api.md"


class AsOfMiddleware:
    """400 for `as_of` on a read of a view that does not read it: JSON under /api/, a short page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Reads only (a method the view does not have is its 405), and an empty value is the parameter left out.
        if request.method not in ("GET", "HEAD") or not request.GET.get(PARAMETER):
            return None
        if supports_as_of(view_func, request.method):
            return None
        message = REFUSED + REFUSED_DOCS + "."
        if request.path_info.startswith("/api/"):
            return JsonResponse({PARAMETER: [message]}, status=400)
        today = request.GET.copy()
        del today[PARAMETER]
        here = html.escape(request.path + (f"?{today.urlencode()}" if today else ""))
        return HttpResponse(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Not available as of a date'
            "</title></head><body><main><h1>Not available as of a date</h1><p>This page cannot be shown as it "
            f'stood on a past date (yet). <a href="{here}">Today\'s page</a>.</p></main></body></html>',
            status=400,
        )
