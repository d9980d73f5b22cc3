from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Commitment tracker"
admin.site.site_title = "Commitment tracker"
admin.site.index_title = "Coalition commitments across meetings"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api_urls")),
]
