"""The tracker's URLs, plus the plain view the API's list is measured against over HTTP."""

from django.http import HttpResponse
from django.urls import path

from bench.measure import raw_page
from tracker.urls import urlpatterns as tracker_urlpatterns


def raw_commitments(request):
    """The list's first page read raw and dumped with orjson: no DRF, no serializer."""
    return HttpResponse(raw_page(), content_type="application/json")


urlpatterns = [path("bench/raw-commitments/", raw_commitments), *tracker_urlpatterns]
