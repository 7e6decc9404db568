from django.contrib import admin
from django.urls import include, path

from api.views.root import ApiRootView
from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("registry.urls")),
    path("", include("opendata.urls")),
    path("api/v1", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include("api.urls")),
]

handler404 = views.not_found
handler500 = views.server_error
