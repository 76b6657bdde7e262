"""The pages that belong to no one model, plus sitemap.xml and robots.txt."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from portal.sitemaps import SITEMAPS
from portal.views import feedback
from portal.views import site as views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_view, name="search"),
    path("glossary/", views.glossary, name="glossary"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("accessibility/", views.AccessibilityView.as_view(), name="accessibility"),
    path("privacy/", views.PrivacyView.as_view(), name="privacy"),
    path("feedback/", feedback.report_problem, name="feedback"),
    path("feedback/sent/", feedback.feedback_sent, name="feedback_sent"),
    path("licence/", views.LicenceView.as_view(), name="licence"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
