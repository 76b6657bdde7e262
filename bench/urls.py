"""The product's URLs plus the floor: a minimal view through the same middleware stack."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from devolution_portal import urls as product_urls


def floor(request: HttpRequest, size: int) -> HttpResponse:
    """No database, no template: ``size`` bytes, as the fastest page of that size could be."""
    return HttpResponse(b"x" * size, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("bench-floor/<int:size>/", floor, name="bench_floor"),
    *product_urls.urlpatterns,
]
handler500 = getattr(product_urls, "handler500", "django.views.defaults.server_error")
