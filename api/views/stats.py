from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.caching import cached_read
from api.serializers.common import AreaRefSerializer, VocabularyRefSerializer
from api.views.common import LastModifiedMixin
from registry.filters import InitiativeFilterSet
from registry.models import Initiative, Kind, Service, Status


class TermCountSerializer(VocabularyRefSerializer):
    count = serializers.IntegerField()


class AreaCountSerializer(AreaRefSerializer):
    count = serializers.IntegerField()


STATS_SCHEMA = inline_serializer("Stats", {
    "total": serializers.IntegerField(),
    "byKind": TermCountSerializer(many=True),
    "byService": TermCountSerializer(many=True),
    "byStatus": TermCountSerializer(many=True),
    "byProvince": AreaCountSerializer(many=True),
    "byMunicipality": AreaCountSerializer(many=True),
})


class StatsView(LastModifiedMixin, GenericAPIView):
    """Counts of published initiatives by kind, service, status and area; takes the same filters as
    /initiatives, so that for example `?province=PV28` gives the figures for Zuid-Holland."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = InitiativeFilterSet
    pagination_class = None

    def get_queryset(self) -> QuerySet[Initiative]:
        return Initiative.objects.published()

    @extend_schema(responses=STATS_SCHEMA)
    def get(self, request: Request) -> Any:
        return cached_read(request, self, lambda: self.count(request))

    def count(self, request: Request) -> Response:
        matching = Initiative.objects.filter(pk__in=self.filter_queryset(self.get_queryset()).values("pk"))
        kinds = {k.pk: k for k in Kind.objects.all()}
        services = {s.pk: s for s in Service.objects.all()}
        status_labels = dict(Status.choices)
        return Response({
            "total": matching.count(),
            "byKind": [term(kinds[row["kind"]], row["count"]) for row in matching.counts_by("kind")],
            "byService": [term(services[row["services"]], row["count"])
                          for row in matching.filter(services__isnull=False).counts_by("services")],
            "byStatus": [{"code": row["status"], "label": label_pair(status_labels[row["status"]]),
                          "count": row["count"]} for row in matching.counts_by("status")],
            "byProvince": [{"code": row["province__code"], "name": row["province__name"], "count": row["count"]}
                           for row in matching.counts_by("province__code", "province__name")],
            "byMunicipality": [
                {"code": row["municipality__code"], "name": row["municipality__name"], "count": row["count"]}
                for row in matching.counts_by("municipality__code", "municipality__name")],
        })


def term(vocabulary: Any, count: int) -> dict[str, Any]:
    return {"code": vocabulary.code, "label": {"nl": vocabulary.label_nl, "en": vocabulary.label_en},
            "count": count}


def label_pair(label: Any) -> dict[str, str]:
    from django.utils import translation

    pair = {}
    for language in ("nl", "en"):
        with translation.override(language):
            pair[language] = str(label)
    return pair
