from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.caching import cached_read
from api.pagination import DocumentPagination
from api.renderers import PrebuiltGeoJSONRenderer, PrebuiltJSONRenderer
from api.serializers.initiatives import (
    InitiativeDetailSerializer,
    InitiativeFeatureSerializer,
    InitiativeSerializer,
    PartnershipSerializer,
)
from api.views.common import LastModifiedMixin
from registry import actions, documents
from registry.caching import version_etag
from registry.filters import InitiativeFilterSet
from registry.models import Initiative, Partnership, merged_into
from registry.roles import access_for, signed_in

FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=["json", "geojson"],
    description="`geojson` for an RFC 7946 FeatureCollection (or send `Accept: application/geo+json`).")


CURSOR_PARAMETER = OpenApiParameter(
    "cursor", str, description=(
        "Walk the whole list by keyset instead of page numbers: send it empty (`cursor=`) for the first "
        "page, then follow `next`. The walk neither skips nor repeats a record that stays unchanged while "
        "others are created, changed or deleted; `count` is the number matched when the page was made "
        "(exact, kept until the register changes). Works with a sort by a column (the default by name, "
        "or `ordering`); not together with `page`."))


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER, CURSOR_PARAMETER]),
                    retrieve=extend_schema(parameters=[FORMAT_PARAMETER],
                                           responses={200: InitiativeDetailSerializer}))
class InitiativeViewSet(LastModifiedMixin, viewsets.ModelViewSet):
    """Residents' initiatives and resident enterprises. Anyone reads the published ones; administrators
    and regional editors (in their region) read drafts and write.

    Reads are assembled by PostgreSQL from each record's prepared documents (registry.documents);
    the serializers validate writes, answer them, and describe the documents in the OpenAPI schema."""

    lookup_value_regex = r"[0-9]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = InitiativeFilterSet
    pagination_class = DocumentPagination
    renderer_classes = [PrebuiltJSONRenderer, PrebuiltGeoJSONRenderer]
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if (request.method in ("GET", "HEAD") and response.status_code == 200
                and isinstance(response.data, (bytes, str)) and not request.user.is_authenticated):
            # The answer follows from its version (the register's, or a detail's own), the day and
            # the address, so its ETag does too: ConditionalGetMiddleware would otherwise hash the
            # whole body (megabytes for a box) to make one. A maintainer's answer also shows
            # drafts: hashed as before.
            response["ETag"] = version_etag(request, request.accepted_media_type, version=self.answer_version(request))
        return response

    def get_queryset(self) -> QuerySet[Initiative]:
        visible = Initiative.objects.visible_to(access_for(self.request.user)).order_by("name", "pk")
        return visible if self.request.method in ("GET", "HEAD") else visible.with_related()

    def perform_destroy(self, instance: Initiative) -> None:
        actions.delete(instance, acting_user=signed_in(self.request.user))

    def document_kind(self) -> str:
        return "feature" if self.request.accepted_renderer.format == "geojson" else "record"

    def list_url(self) -> str:
        return self.request.build_absolute_uri(reverse("api:initiative-list"))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        def page() -> Response:
            assert isinstance(self.paginator, DocumentPagination)
            found = self.paginator.document_page(self.filter_queryset(self.get_queryset()), request,
                                                 kind=self.document_kind(), base=self.list_url())
            return Response(found.as_geojson() if self.document_kind() == "feature" else found.as_json())

        return page()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        def document() -> Response:
            # The JSON detail also shows the years whose figures the initiative agreed to publish.
            kind = "detail" if self.document_kind() == "record" else "feature"
            one = self.get_queryset().filter(pk=kwargs["pk"]).order_by()  # one record: no sort to plan
            found = documents.assemble_one(one, kind, base=self.list_url())
            if found is None:
                raise Http404
            text, self.shown_version = found
            return Response(text)

        try:
            return document()
        except Http404:
            kept = merged_into(int(kwargs["pk"]))
            if kept is None or not Initiative.objects.visible_to(access_for(request.user)).filter(pk=kept).exists():
                raise
            # A record merged into another lives on there (301, like its old page on the site).
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(
                reverse("api:initiative-detail", kwargs={"pk": kept}) + (f"?{query}" if query else ""))

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
                           lambda: Response(documents.map_features(self.filter_queryset(self.get_queryset()))),
                           compress=True)


class PartnershipViewSet(LastModifiedMixin, viewsets.ModelViewSet):
    """Which partner plays which role for which initiative, and when."""

    serializer_class = PartnershipSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def get_queryset(self) -> QuerySet[Partnership]:
        queryset = Partnership.objects.select_related("partner", "role", "initiative").order_by("pk")
        return queryset.filter(initiative__in=Initiative.objects.visible_to(access_for(self.request.user)))

    def perform_destroy(self, instance: Partnership) -> None:
        actions.delete_partnership(instance, acting_user=signed_in(self.request.user))
