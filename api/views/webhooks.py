"""Webhooks of the signed-in developer: register one (an https address and a filter), list, read,
delete, and enable one again after it was disabled. Delivery and its rules: registry/webhooks.py;
the recipe to check a signature: docs/webhooks.md and the description below."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from registry import actions
from registry.models import Webhook
from registry.roles import signed_in
from registry.webhooks import ALLOWED_FILTERS, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER

DELIVERY_DOCUMENTATION = f"""
**Deliveries.** For every event of the change feed (`/changes`) whose initiative matches the filter, the
register POSTs one JSON document to the address, in the feed's order:
`{{"deliveryId": "12-3456", "webhook": 12, "event": {{"cursor", "action", "id", "slug", "at", "url",
"mergedInto", "status", "stopped"}}}}`. Answer with a 2xx status within a few seconds; anything else is
retried with exponential back-off (a bounded number of times), and after repeated failures in a row
the webhook is disabled (`active: false`, with `disabledReason`) until it is enabled again.
A delivery may come more than once (the same `{DELIVERY_HEADER}` header and `deliveryId`): drop repeats.

**Signature.** The header `{SIGNATURE_HEADER}: sha256=<hex>` is the HMAC-SHA256 of the request body's
bytes, exactly as received, keyed with the webhook's `secret` (shown once, in the answer to the
registration). To check it, compute it yourself and compare in constant time, e.g. in Python:
`hmac.compare_digest(request.headers["{SIGNATURE_HEADER}"], "sha256=" + hmac.new(secret.encode(),
body, hashlib.sha256).hexdigest())`. `{EVENT_HEADER}` names the event's action.

**Address.** https only; the host must resolve to public internet addresses only (no private,
loopback or link-local ones): checked at registration and before every delivery. Redirects are not
followed.

**Filter.** An object of the initiatives' filter parameters `{", ".join(ALLOWED_FILTERS)}` (each a
code or a list of codes), as for `/initiatives`; `{{}}` for every event.
"""


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(max_length=500, help_text="The https address that receives the events.")
    filter = serializers.DictField(required=False, default=dict, help_text=(
        f"Filter parameters ({', '.join(ALLOWED_FILTERS)}), each a code or a list of codes."))
    active = serializers.BooleanField(read_only=True)
    failures = serializers.IntegerField(read_only=True, help_text="Failed attempts in a row.")
    disabledAt = serializers.DateTimeField(source="disabled_at", read_only=True, allow_null=True)
    disabledReason = serializers.CharField(source="disabled_reason", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)


class NewWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="The key of the signatures; shown only here.")


@extend_schema_view(
    list=extend_schema(summary="Your webhooks"),
    retrieve=extend_schema(summary="One of your webhooks"),
    create=extend_schema(summary="Register a webhook", description=DELIVERY_DOCUMENTATION,
                         responses={201: NewWebhookSerializer}),
    destroy=extend_schema(summary="Delete a webhook"),
)
class WebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Webhooks: the change feed's events for a filter, POSTed to your address as they happen."""

    serializer_class = WebhookSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"[0-9]+"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Webhook]:
        return Webhook.objects.filter(owner=signed_in(self.request.user)).order_by("pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            webhook = actions.register_webhook(url=serializer.validated_data["url"],
                                               filter=serializer.validated_data.get("filter", {}),
                                               acting_user=signed_in(request.user))
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            raise serializers.ValidationError(detail) from None
        return Response(NewWebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Webhook) -> None:
        actions.remove_webhook(instance, acting_user=signed_in(self.request.user))

    @extend_schema(request=None, responses={200: WebhookSerializer}, summary="Enable a disabled webhook again")
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        webhook = actions.enable_webhook(self.get_object(), acting_user=signed_in(request.user))
        return Response(WebhookSerializer(webhook).data)
