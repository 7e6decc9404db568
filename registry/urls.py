from django.urls import path

from registry import views

app_name = "registry"

urlpatterns = [
    path("initiatieven", views.initiative_list, name="initiatives"),
    path("initiatieven/<slug:slug>", views.initiative_detail, name="initiative"),
    path("partners/<slug:slug>", views.partner_detail, name="partner"),
    path("gebieden/<str:code>", views.area_detail, name="area"),
]
