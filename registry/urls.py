from django.urls import path

from registry import views

app_name = "registry"

urlpatterns = [
    path("initiatieven", views.initiative_list, name="initiatives"),
    path("initiatieven/<slug:slug>", views.initiative_detail, name="initiative"),
]
