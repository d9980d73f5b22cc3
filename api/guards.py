"""Input no record can hold, refused before a view sees it: NUL characters and lone surrogates.

PostgreSQL cannot store a NUL in text, and neither database driver can encode a lone UTF-16
surrogate, so such a value would reach the database only to fail there with a server error.
The middleware answers for the request's address (path and query string) in the admin and the
API alike; the API's parsers (`api.parsers`) answer for its bodies.
"""

from django.conf import settings
from django.http import JsonResponse


def unstorable(text):
    """Why `text` cannot be stored (a NUL, a lone surrogate), or None."""
    if "\x00" in text:
        return "A NUL character is not allowed."
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "A lone surrogate is not allowed: send UTF-8 text."
    return None


def is_api(request):
    return request.path_info.startswith("/api/")


class HostileInputMiddleware:
    """400 for a NUL or lone surrogate in the path or query; 413 for an API body over API_MAX_BODY_BYTES."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = unstorable(request.path_info)
        if problem:
            return JsonResponse({"detail": f"The address: {problem}"}, status=400)
        errors = {}
        for name, values in request.GET.lists():
            if unstorable(name):
                errors["query"] = [f"A parameter's name: {unstorable(name)}"]
            for value in values:
                if unstorable(value):
                    errors[name] = [unstorable(value)]
        if errors:
            return JsonResponse(errors, status=400)
        if is_api(request):
            too_large = self.body_too_large(request)
            if too_large:
                return too_large
        return self.get_response(request)

    def body_too_large(self, request):
        limit = settings.API_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "The Content-Length header is not a number."}, status=400)
        if length > limit:
            return JsonResponse(
                {"detail": f"The request body is {length} bytes; the API reads at most {limit} bytes."}, status=413
            )
        return None
