from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.caching import cached_read
from api.filters import InitiativeFilterSet
from api.renderers import GeoJSONRenderer, PrebuiltGeoJSONRenderer
from api.serializers.initiatives import InitiativeFeatureSerializer, InitiativeSerializer, PartnershipSerializer
from api.views.common import LastModifiedMixin
from registry.models import Initiative, Partnership

FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=["json", "geojson"],
    description="`geojson` for an RFC 7946 FeatureCollection (or send `Accept: application/geo+json`).")


def public_initiatives() -> QuerySet[Initiative]:
    """Published initiatives with everything their public document shows, in a fixed number of queries."""
    return with_related(Initiative.objects.published())


def with_related(queryset: QuerySet[Initiative]) -> QuerySet[Initiative]:
    return queryset.select_related("kind", "municipality", "province").defer(
        "municipality__geometry", "province__geometry", "search_vector").prefetch_related(
        "services", "funding_sources",
        Prefetch("partnerships", queryset=Partnership.objects.select_related("partner__kind", "role")
                 .order_by("partner__name", "role__order", "start")))


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]),
                    retrieve=extend_schema(parameters=[FORMAT_PARAMETER]))
class InitiativeViewSet(LastModifiedMixin, viewsets.ModelViewSet):
    """Residents' initiatives and resident enterprises. Anyone reads the published ones; staff write."""

    lookup_value_regex = r"[0-9]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = InitiativeFilterSet
    renderer_classes = [JSONRenderer, GeoJSONRenderer]
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def get_queryset(self) -> QuerySet[Initiative]:
        user = self.request.user
        if user and user.is_staff:
            return with_related(Initiative.objects.all()).order_by("name", "pk")
        return public_initiatives().order_by("name", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return cached_read(request, self, lambda: super(InitiativeViewSet, self).list(request, *args, **kwargs))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return cached_read(request, self,
                           lambda: super(InitiativeViewSet, self).retrieve(request, *args, **kwargs))

    def get_serializer_class(self) -> type[BaseSerializer]:
        renderer = getattr(self.request, "accepted_renderer", None)
        if self.request.method == "GET" and renderer is not None and renderer.format == "geojson":
            return InitiativeFeatureSerializer
        return InitiativeSerializer


MAP_FEATURES_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {
            "type": "object",
            "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "integer"},
                "geometry": {"type": "object", "required": ["type", "coordinates"],
                             "description": "RFC 7946 Point, WGS84 lon/lat to 5 decimals."},
                "properties": {"type": "object", "required": ["slug", "name", "kind", "services", "place"],
                               "properties": {
                                   "slug": {"type": "string", "description": "For /initiatieven/{slug}."},
                                   "name": {"type": "string"},
                                   "kind": {"type": "string", "description": "Kind code (see /kinds)."},
                                   "services": {"type": "array", "items": {"type": "string"},
                                                "description": "Service codes (see /services)."},
                                   "place": {"type": "string"}}},
            }}},
    },
}


class InitiativeMapView(LastModifiedMixin, GenericAPIView):
    """Every published initiative that matches the filters, as one compact GeoJSON FeatureCollection
    (no pages): what the public map loads. Takes the same filters as /initiatives; for whole
    records use /initiatives."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = InitiativeFilterSet
    renderer_classes = [PrebuiltGeoJSONRenderer]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Initiative]:
        return Initiative.objects.published()

    @extend_schema(responses={(200, "application/geo+json"): MAP_FEATURES_SCHEMA})
    def get(self, request: Request) -> Any:
        return cached_read(request, self,
                           lambda: Response(self.filter_queryset(self.get_queryset()).as_map_features()),
                           compress=True)


class PartnershipViewSet(LastModifiedMixin, viewsets.ModelViewSet):
    """Which partner plays which role for which initiative, and when."""

    serializer_class = PartnershipSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def get_queryset(self) -> QuerySet[Partnership]:
        queryset = Partnership.objects.select_related("partner", "role", "initiative").order_by("pk")
        user = self.request.user
        if user and user.is_staff:
            return queryset
        return queryset.filter(initiative__in=Initiative.objects.published())
