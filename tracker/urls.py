from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Commitment tracker"
admin.site.site_title = "Commitment tracker"
admin.site.index_title = "Coalition commitments across meetings"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api_urls")),
    # The public pages; the admin's "View site" (its site_url, "/") leads here.
    path("", include("public.urls")),
]
