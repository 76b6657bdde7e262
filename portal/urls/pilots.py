"""Public pilot pages, the timeline and the Atom feeds of pilot updates."""

from django.urls import path

from portal import feeds
from portal.views import pilots as views

app_name = "pilots"
urlpatterns = [
    path("pilots/", views.pilot_list, name="list"),
    path("pilots/updates.atom", feeds.PilotUpdatesFeed(), name="feed"),
    path("pilots/<slug:slug>/", views.pilot_detail, name="detail"),
    path("pilots/<slug:slug>/updates.atom", feeds.PilotFeed(), name="pilot_feed"),
    path("boroughs/<slug:slug>/updates.atom", feeds.BoroughFeed(), name="borough_feed"),
    path("timeline/", views.timeline, name="timeline"),
]
