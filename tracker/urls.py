from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from api.import_admin import import_view
from api.urls import urlpatterns as api_urlpatterns
from snapshots.views import SnapshotView
from tracker.health import healthz

admin.site.site_header = "Commitment tracker"
admin.site.site_title = "Commitment tracker"
admin.site.index_title = "Coalition commitments across meetings"
# Lists and statement texts get the page's whole width; the breadcrumbs and the index lead everywhere.
admin.site.enable_nav_sidebar = False
# The admin's home links the Import page, besides the ingest (its template extends ingest's).
admin.site.index_template = "admin/import/index.html"

# The API's routes and the auditors' snapshot download share the `api` namespace under /api/v1/.
api_v1 = ([path("snapshot/", SnapshotView.as_view(), name="snapshot"), *api_urlpatterns], "api")

# Under /api/ even an address no route matches, or a crash, is answered in JSON.
handler404 = "api.errors.json_not_found"
handler500 = "api.errors.json_server_error"

urlpatterns = [
    # No favicon: its request is answered with nothing rather than a 404 (a console error in browsers).
    path("favicon.ico", lambda request: HttpResponse(status=204)),
    # Importing a file in the export's own format: upload, preview, confirm (api/import_admin.py).
    path("admin/import/", admin.site.admin_view(import_view), name="admin-import"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # For the load balancer or the operator: 200 when the database (and Redis) answer, else 503.
    path("healthz", healthz, name="healthz"),
    # The public pages; the admin's "View site" (its site_url, "/") leads here.
    path("", include("public.urls")),
]
