from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets
from rest_framework.serializers import BaseSerializer

from api.exceptions import Conflict
from api.serializers.partners import PartnerSerializer
from api.views.common import LastModifiedMixin, count_of
from registry import actions
from registry.models import Partner, Partnership, PublicationState
from registry.roles import signed_in


class PartnerViewSet(LastModifiedMixin, viewsets.ModelViewSet):
    """Organisations that fund, commission, house or support initiatives."""

    serializer_class = PartnerSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def perform_create(self, serializer: BaseSerializer[Partner]) -> None:
        saved = serializer.save()
        serializer.instance = self.get_queryset().get(pk=saved.pk)  # with its counts

    def perform_update(self, serializer: BaseSerializer[Partner]) -> None:
        self.perform_create(serializer)

    def perform_destroy(self, instance: Partner) -> None:
        if instance.partnerships.exists():
            raise Conflict(_("This partner still has partnerships; remove those first."))
        actions.delete_partner(instance, acting_user=signed_in(self.request.user))

    def get_queryset(self) -> QuerySet[Partner]:
        published_links = Partnership.objects.filter(initiative__publication_state=PublicationState.PUBLISHED)
        return (Partner.objects.select_related("kind", "municipality")
                .annotate(initiative_count=count_of(published_links, "partner", distinct="initiative"))
                .order_by("name", "pk"))
