from django.urls import path, re_path

from opendata import views

app_name = "opendata"

urlpatterns = [
    path("opendata", views.index, name="index"),
    re_path(r"^opendata/catalog\.(?P<extension>jsonld|ttl)$", views.catalog, name="catalog"),
    path("opendata/snapshots", views.snapshot_list, name="snapshots"),
    path("opendata/snapshots/<str:day>/<str:name>", views.snapshot_file, name="snapshot-file"),
    path("opendata/<str:name>", views.download, name="download"),
]
