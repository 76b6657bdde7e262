"""URL contract for the open data: the HTML lists link here with their filters (see links.py)."""

from django.urls import path

from . import views

app_name = "datasets"
urlpatterns = [
    path("data/", views.hub, name="hub"),
    path("data/datapackage.json", views.package_descriptor, name="datapackage"),
    path("data/all.zip", views.all_zip, name="zip"),
    path("data/<slug:dataset>.csv", views.dataset_csv, name="csv"),
    path("data/<slug:dataset>.json", views.dataset_json, name="json"),
]
