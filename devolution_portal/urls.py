"""Top-level URLs. The admin path comes from configuration (ADMIN_PATH)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("", include("portal.urls")),
    path("", include("boroughs.urls")),
    path("", include("pilots.urls")),
    path("", include("sources.urls")),
    path("", include("datasets.urls")),
]

# The 500 page is rendered without context processors or a database (portal/views.py).
handler500 = "portal.views.server_error"
