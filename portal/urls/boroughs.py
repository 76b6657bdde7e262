from django.urls import path, re_path

from portal.views import boroughs as views

app_name = "boroughs"
urlpatterns = [
    path("boroughs/", views.authority_list, name="list"),
    path("boroughs/find/", views.authority_find, name="find"),
    path("boroughs/<slug:slug>/", views.authority_detail, name="detail"),
    path("ics/", views.ics_list, name="ics_list"),
    # Lower case is the address; any other case redirects permanently to it.
    re_path(r"^ics/(?P<code>[A-Za-z]{3})/$", views.ics_detail, name="ics_detail"),
    path("places/", views.place_list, name="place_list"),
    path("places/<slug:slug>/", views.place_detail, name="place_detail"),
]
