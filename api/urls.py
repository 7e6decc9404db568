"""REST API v1 below /api/v1/ (the root itself is in config/urls.py). No trailing slashes (Dutch API
Design Rules)."""

from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import SimpleRouter

from api.exceptions import api_not_found
from api.views.areas import MunicipalityViewSet, ProvinceViewSet
from api.views.changes import ChangesView
from api.views.docs import DocumentationView
from api.views.initiatives import InitiativeMapView, InitiativeViewSet, PartnershipViewSet
from api.views.monitor import MonitorView
from api.views.partners import PartnerViewSet
from api.views.places import LocationSearchView
from api.views.stats import StatsView
from api.views.vocabularies import (
    FundingSourceViewSet,
    KindViewSet,
    PartnerKindViewSet,
    PartnershipRoleViewSet,
    ServiceViewSet,
)
from api.views.webhooks import WebhookViewSet

app_name = "api"

router = SimpleRouter(trailing_slash=False)
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("partnerships", PartnershipViewSet, basename="partnership")
router.register("partners", PartnerViewSet, basename="partner")
router.register("provinces", ProvinceViewSet, basename="province")
router.register("municipalities", MunicipalityViewSet, basename="municipality")
router.register("kinds", KindViewSet, basename="kind")
router.register("services", ServiceViewSet, basename="service")
router.register("partnerKinds", PartnerKindViewSet, basename="partnerkind")
router.register("partnershipRoles", PartnershipRoleViewSet, basename="partnershiprole")
router.register("fundingSources", FundingSourceViewSet, basename="fundingsource")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    # Compressed because it is large (about 270 bytes a record) and the map loads it whole; the
    # response cache keeps the compressed body, gzip_page compresses what it computes afresh.
    path("initiatives/map", gzip_page(InitiativeMapView.as_view()), name="initiative-map"),
    path("locations", LocationSearchView.as_view(), name="locations"),
    path("stats", StatsView.as_view(), name="stats"),
    path("monitor", MonitorView.as_view(), name="monitor"),
    path("changes", ChangesView.as_view(), name="changes"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs", DocumentationView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
    # Anything else under /api/v1/ is a problem document, also while DEBUG shows HTML pages.
    re_path(r"^.*$", csrf_exempt(api_not_found)),
]
