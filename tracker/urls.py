from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.urls import urlpatterns as api_urlpatterns
from snapshots.views import SnapshotView

admin.site.site_header = "Commitment tracker"
admin.site.site_title = "Commitment tracker"
admin.site.index_title = "Coalition commitments across meetings"

# The API's routes and the auditors' snapshot download share the `api` namespace under /api/v1/.
api_v1 = ([path("snapshot/", SnapshotView.as_view(), name="snapshot"), *api_urlpatterns], "api")

# Under /api/ even an address no route matches, or a crash, is answered in JSON.
handler404 = "api.errors.json_not_found"
handler500 = "api.errors.json_server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
]
