from django.urls import path, re_path

from opendata import views

app_name = "opendata"

urlpatterns = [
    path("opendata", views.index, name="index"),
    re_path(r"^opendata/catalog\.(?P<extension>jsonld|ttl)$", views.catalog, name="catalog"),
    path("opendata/snapshots", views.snapshot_list, name="snapshots"),
    path("opendata/snapshots/<str:day>/<str:name>", views.snapshot_file, name="snapshot-file"),
    # The annual monitor's tables (registry.monitor): the country, or a province or municipality by code.
    path("opendata/monitor/<int:year>/<slug:table>.csv", views.monitor_table, name="monitor-table"),
    path("opendata/monitor/<int:year>/<slug:area>/<slug:table>.csv", views.monitor_table, name="monitor-area-table"),
    path("opendata/<str:name>", views.download, name="download"),
]
