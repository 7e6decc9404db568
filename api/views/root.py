from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

RESOURCES = ["initiatives", "partners", "partnerships", "provinces", "municipalities", "kinds", "services",
             "partnerKinds", "partnershipRoles", "fundingSources", "stats", "changes"]


class ApiRootView(APIView):
    """Where everything in API v1 is, and its documentation."""

    @extend_schema(responses=inline_serializer("Root", {
        "resources": serializers.DictField(child=serializers.URLField()),
        "openapi": serializers.URLField(), "docs": serializers.URLField()}))
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri(reverse("api-root"))
        return Response({
            "resources": {name: f"{base}/{name}" for name in RESOURCES},
            "openapi": request.build_absolute_uri(reverse("api:schema")),
            "docs": request.build_absolute_uri(reverse("api:docs")),
        })
