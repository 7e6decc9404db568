"""The change feed for sync clients: every public create, update, unpublish and delete, in order
(registry/changes.py reads it from the history)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.views.common import LastModifiedMixin
from registry import changes as feed

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000

CHANGES_SCHEMA = inline_serializer("Changes", {
    "changes": inline_serializer("Change", {
    "cursor": serializers.CharField(help_text="Pass as `since` to get the changes after this one."),
    "action": serializers.ChoiceField(choices=feed.ACTIONS),
    "id": serializers.IntegerField(help_text="The initiative's id."),
    "slug": serializers.CharField(),
    "at": serializers.DateTimeField(),
    "url": serializers.URLField(allow_null=True, help_text="The current record; null once it is gone."),
    "mergedInto": serializers.IntegerField(
        allow_null=True, help_text="For `merged`: the id of the record this one was merged into (its changes "
                                   "follow as `updated`); null otherwise."),
    }, many=True),
    "cursor": serializers.CharField(allow_null=True, help_text="The last cursor of this page (or `since`)."),
    "next": serializers.URLField(allow_null=True, help_text="The next page, while there is more."),
})


encode_cursor = feed.encode_cursor


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("h") or not text[1:].isdigit():
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"since": [_("Not a cursor from this feed; start without `since`.")]}) from None


class ChangesView(LastModifiedMixin, APIView):
    """Every change to the public register since a cursor, oldest first, with no limit on how far back.

    A record appears when it is created published, published, updated while published, unpublished
    (archived or back to draft), deleted, or merged into another record (`mergedInto`). Drafts never
    appear. Keep the last `cursor` and ask
    again with `since=<cursor>`."""

    @extend_schema(parameters=[
        OpenApiParameter("since", str, description="A cursor from an earlier answer; without it, from the start."),
        OpenApiParameter("pageSize", int, description=f"Changes per page, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT})."),
    ], responses=CHANGES_SCHEMA)
    def get(self, request: Request) -> Response:
        since_text = request.query_params.get("since")
        since = decode_cursor(since_text) if since_text else 0
        limit = self.limit(request)
        events, more = feed.after(since, limit)
        changes: list[dict[str, Any]] = [{
            "cursor": encode_cursor(event.history_id),
            "action": event.action,
            "id": event.id,
            "slug": event.slug,
            "at": event.at,
            "url": request.build_absolute_uri(reverse("api:initiative-detail", kwargs={"pk": event.id}))
            if event.live else None,
            "mergedInto": event.merged_into,
        } for event in events]
        cursor = changes[-1]["cursor"] if changes else since_text
        next_url = None
        if more:  # a full page: the cursor is that of its last change
            query = request.query_params.copy()
            query["since"] = changes[-1]["cursor"]
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response({"changes": changes, "cursor": cursor, "next": next_url})

    def limit(self, request: Request) -> int:
        raw = request.query_params.get("pageSize", str(DEFAULT_LIMIT))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ValidationError({"pageSize": [_("Expected a whole number from 1 to %(max)d.") % {"max": MAX_LIMIT}]})
        return int(raw)
