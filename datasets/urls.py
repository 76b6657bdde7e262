"""URL contract for the open data (the views are being built): the HTML lists link here with their filters."""

from django.urls import path

from . import views

app_name = "datasets"
urlpatterns = [
    path("data/", views.hub, name="hub"),
    path("data/<slug:dataset>.csv", views.dataset_csv, name="csv"),
    path("data/<slug:dataset>.json", views.dataset_json, name="json"),
]
