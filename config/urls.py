from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from api.views.root import ApiRootView
from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("admin/", admin.site.urls),
    # Without a CSRF token, so that the public pages (which all carry this form) can be cached for
    # everyone: forging a request can do no more than switch someone's language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # The API before the site's pages: Django tries the patterns in order, and the site's are many.
    path("api/v1", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include("api.urls")),
    path("", include("registry.site.urls")),
    path("", include("opendata.urls")),
    path("", include("ogc.urls")),
]

handler403 = views.permission_denied
handler404 = views.not_found
handler500 = views.server_error
