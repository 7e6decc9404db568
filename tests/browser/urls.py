"""The site's URLs plus a stand-in tile server, so that browser tests can point the base map at
the test server and prove that nothing else is contacted."""

import base64

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns

# A 1×1 light-grey PNG.
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPo6OgAAAMEAYFL09IQAAAAAElFTkSuQmCC")


def tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    return HttpResponse(TILE, content_type="image/png")


urlpatterns = [path("test-tiles/<int:z>/<int:x>/<int:y>.png", tile), *site_urlpatterns]
