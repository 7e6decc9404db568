from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets

from api.serializers.partners import PartnerSerializer
from api.views.areas import count_of
from api.views.common import LastModifiedMixin
from registry.models import Partner, Partnership, PublicationState


class PartnerViewSet(LastModifiedMixin, viewsets.ModelViewSet):
    """Organisations that fund, commission, house or support initiatives."""

    serializer_class = PartnerSerializer
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def get_queryset(self) -> QuerySet[Partner]:
        published_links = Partnership.objects.filter(initiative__publication_state=PublicationState.PUBLISHED)
        return (Partner.objects.select_related("kind", "municipality")
                .annotate(initiative_count=count_of(published_links, "partner", distinct="initiative"))
                .order_by("name", "pk"))
