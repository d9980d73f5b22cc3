"""The documentation pages (Swagger UI, Redoc), served from installed files and loading nothing from another host.

drf-spectacular's Redoc page links Google Fonts, and the Redoc bundle draws a logo from
cdn.redoc.ly in its sidebar: offline both fail, and online they tell other hosts who reads the
docs. Here the page has no font links (Redoc's theme uses the system's fonts, REDOC_UI_SETTINGS)
and the bundle is served as installed with that one address emptied, so the logo is never
requested (an image without an address fails at once, and Redoc then leaves it out). Swagger UI
asks swagger.io's validator for a badge unless `validatorUrl` is null (SWAGGER_UI_SETTINGS). The
browsable API's brand leads to the API's root, not to DRF's site (api.renderers).
"""

import gzip
import hashlib
from functools import cache

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import reverse
from drf_spectacular.views import SpectacularRedocView

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REMOTE_LOGO = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'


@cache
def redoc_bundle():
    """The installed Redoc bundle without its remote logo (nor the source map it names), gzipped, and its ETag."""
    path = finders.find(REDOC_BUNDLE)
    if path is None:
        raise ImproperlyConfigured(f"{REDOC_BUNDLE} is not installed (drf-spectacular-sidecar).")
    with open(path, "rb") as file:
        bundle = file.read()
    if REMOTE_LOGO not in bundle:
        # Another Redoc version: the test of the documentation pages says what it loads now.
        raise ImproperlyConfigured(f"{REDOC_BUNDLE} no longer holds {REMOTE_LOGO.decode()}: check the patch.")
    bundle = bundle.replace(REMOTE_LOGO, b'""')
    bundle = b"\n".join(line for line in bundle.split(b"\n") if not line.startswith(b"//# sourceMappingURL="))
    return bundle, gzip.compress(bundle, mtime=0), f'"{hashlib.sha256(bundle).hexdigest()[:32]}"'


def redoc_bundle_view(request):
    """The bundle, compressed for a client that takes gzip, cached for a day and revalidated by its ETag."""
    bundle, compressed, etag = redoc_bundle()
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(compressed, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(bundle, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    response["Vary"] = "Accept-Encoding"
    return response


class RedocView(SpectacularRedocView):
    """drf-spectacular's Redoc page without font links, running the bundle above."""

    template_name = "api/redoc.html"

    @staticmethod
    def _redoc_standalone():
        return reverse("api:redoc-bundle")
