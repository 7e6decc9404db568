from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from api.serializers.common import AreaRefField
from geo.models import Municipality, Province


class ProvinceSerializer(serializers.ModelSerializer):
    initiativeCount = serializers.IntegerField(source="initiative_count", read_only=True,
                                               help_text="Published initiatives in the province.")
    municipalityCount = serializers.IntegerField(source="municipality_count", read_only=True)

    class Meta:
        model = Province
        fields = ["code", "name", "municipalityCount", "initiativeCount"]


class MunicipalitySerializer(serializers.ModelSerializer):
    province = AreaRefField()
    validFrom = serializers.DateField(source="valid_from", read_only=True)
    validTo = serializers.DateField(source="valid_to", read_only=True, allow_null=True)
    initiativeCount = serializers.IntegerField(source="initiative_count", read_only=True,
                                               help_text="Published initiatives in the municipality.")

    class Meta:
        model = Municipality
        fields = ["code", "name", "province", "validFrom", "validTo", "initiativeCount"]


class ProvinceFeatureSerializer(GeoFeatureModelSerializer):
    geometry = GeometryField(precision=6)
    initiativeCount = serializers.IntegerField(source="initiative_count", read_only=True)
    municipalityCount = serializers.IntegerField(source="municipality_count", read_only=True)

    class Meta:
        model = Province
        geo_field = "geometry"
        id_field = "code"
        fields = ["code", "name", "municipalityCount", "initiativeCount"]


class MunicipalityFeatureSerializer(GeoFeatureModelSerializer):
    geometry = GeometryField(precision=6)
    province = AreaRefField()
    validFrom = serializers.DateField(source="valid_from", read_only=True)
    validTo = serializers.DateField(source="valid_to", read_only=True, allow_null=True)
    initiativeCount = serializers.IntegerField(source="initiative_count", read_only=True)

    class Meta:
        model = Municipality
        geo_field = "geometry"
        id_field = "code"
        fields = ["code", "name", "province", "validFrom", "validTo", "initiativeCount"]
