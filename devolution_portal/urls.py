"""Top-level URLs. The admin path comes from configuration (ADMIN_PATH)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("", include("portal.urls.site")),
    path("", include("portal.urls.boroughs")),
    path("", include("portal.urls.pilots")),
    path("", include("portal.urls.sources")),
    path("", include("datasets.urls")),
]

# The 500 page (or the 503 page when the database cannot be reached), rendered without context
# processors or a database (core/http.py).
handler500 = "core.http.server_error"
