from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults

from api.exceptions import api_not_found, api_server_error
from api.views.root import ApiRootView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("registry.urls")),
    path("", include("opendata.urls")),
    path("api/v1", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include("api.urls")),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return defaults.server_error(request)


handler404 = not_found
handler500 = server_error
