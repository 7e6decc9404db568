from django.urls import path

from registry import statistics, views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("embed", views.embed, name="embed"),
    path("statistieken", statistics.statistics, name="statistics"),
    path("insluiten", views.embed_builder, name="embed-builder"),
    path("initiatieven", views.initiative_list, name="initiatives"),
    path("initiatieven/<slug:slug>", views.initiative_detail, name="initiative"),
    path("partners/<slug:slug>", views.partner_detail, name="partner"),
    path("gebieden/<str:code>", views.area_detail, name="area"),
]
