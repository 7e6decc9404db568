"""OGC API Features below /ogc/v1 (no trailing slashes, as the REST API)."""

from django.urls import path, re_path

from ogc import tiling, views

app_name = "ogc"

urlpatterns = [
    path("ogc/v1", views.LandingView.as_view(), name="landing"),
    # The API definition's "/" below the server address /ogc/v1; clients that add a slash get it too.
    path("ogc/v1/", views.LandingView.as_view()),
    path("ogc/v1/conformance", views.ConformanceView.as_view(), name="conformance"),
    path("ogc/v1/api", views.ApiView.as_view(), name="api"),
    path("ogc/v1/collections", views.CollectionsView.as_view(), name="collections"),
    path("ogc/v1/collections/<str:collection_id>", views.CollectionView.as_view(), name="collection"),
    path("ogc/v1/collections/<str:collection_id>/queryables", views.QueryablesView.as_view(), name="queryables"),
    path("ogc/v1/collections/<str:collection_id>/items", views.ItemsView.as_view(), name="items"),
    path("ogc/v1/collections/<str:collection_id>/items/<str:feature_id>", views.ItemView.as_view(), name="item"),
    path("ogc/v1/tileMatrixSets", tiling.TileMatrixSetsView.as_view(), name="tile-matrix-sets"),
    path("ogc/v1/tileMatrixSets/<str:matrix_set_id>", tiling.TileMatrixSetView.as_view(), name="tile-matrix-set"),
    path("ogc/v1/collections/<str:collection_id>/tiles", tiling.TilesetsView.as_view(), name="tiles"),
    path("ogc/v1/collections/<str:collection_id>/tiles/<str:matrix_set_id>", tiling.TilesetView.as_view(),
         name="tileset"),
    path("ogc/v1/collections/<str:collection_id>/tiles/<str:matrix_set_id>/<str:level>/<str:row>/<str:column>",
         tiling.TileView.as_view(), name="tile"),
    # Anything else below /ogc/ is an OGC exception, also while DEBUG shows HTML pages.
    re_path(r"^ogc/.*$", views.not_found),
]
