from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.serializers import BaseSerializer

from api.renderers import GeoJSONRenderer
from api.serializers.areas import (
    MunicipalityFeatureSerializer,
    MunicipalitySerializer,
    ProvinceFeatureSerializer,
    ProvinceSerializer,
)
from api.views.common import count_of
from geo.models import Municipality, Province
from registry.models import Initiative


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Areas with the number of published initiatives; boundaries with `?format=geojson`."""

    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    pagination_class = None
    renderer_classes = [JSONRenderer, GeoJSONRenderer]
    json_serializer: type[BaseSerializer]
    feature_serializer: type[BaseSerializer]

    def wants_geojson(self) -> bool:
        return getattr(self.request, "accepted_renderer", None) is not None and \
            self.request.accepted_renderer.format == "geojson"

    def get_serializer_class(self) -> type[BaseSerializer]:
        return self.feature_serializer if self.wants_geojson() else self.json_serializer


class ProvinceViewSet(AreaViewSet):
    """The twelve provinces (CBS codes PV20–PV31)."""

    json_serializer = ProvinceSerializer
    feature_serializer = ProvinceFeatureSerializer

    def get_queryset(self) -> QuerySet[Province]:
        queryset = Province.objects.annotate(
            initiative_count=count_of(Initiative.objects.published(), "province"),
            municipality_count=count_of(Municipality.objects.current(), "province"),
        ).order_by("code")
        return queryset if self.wants_geojson() else queryset.defer("geometry")


class MunicipalityViewSet(AreaViewSet):
    """Current municipalities (CBS codes such as GM0546)."""

    json_serializer = MunicipalitySerializer
    feature_serializer = MunicipalityFeatureSerializer

    def get_queryset(self) -> QuerySet[Municipality]:
        queryset = (Municipality.objects.current().select_related("province")
                    .annotate(initiative_count=count_of(Initiative.objects.published(), "municipality"))
                    .order_by("code"))
        return queryset if self.wants_geojson() else queryset.defer("geometry", "province__geometry")
