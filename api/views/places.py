from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.search import find_locations


class LocationQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=100, trim_whitespace=True,
                              help_text="A postcode (`2312` or `2312 AB`) or the start of a place name.")


class LocationSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["postcode", "place", "municipality", "province"])
    name = serializers.CharField()
    context = serializers.CharField(  # type: ignore[assignment]  # a field: DRF takes it off the class
        help_text="The place of a postcode, the municipality of a place, the province of a municipality; "
                  "empty for a province.")
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    zoom = serializers.IntegerField(help_text="A map zoom level that shows it well.")


class LocationSearchView(APIView):
    """Find a postcode, place, municipality or province from the register's own reference tables
    (GeoNames places and PC4 postcodes, CBS municipalities and provinces): at most 8 matches, no
    external geocoder."""

    @extend_schema(parameters=[OpenApiParameter("q", str, required=True, description=(
        "A postcode (`2312` or `2312 AB`) or the start of a place, municipality or province name "
        "(2–100 characters)."))],
        responses=LocationSerializer(many=True))
    def get(self, request: Request) -> Any:
        query = LocationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(LocationSerializer([asdict(found) for found in find_locations(query.validated_data["q"])],
                                           many=True).data)
