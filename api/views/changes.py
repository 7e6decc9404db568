"""The change feed for sync clients: every public create, update, unpublish and delete, in order."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.views.common import LastModifiedMixin
from registry.models import Initiative, Merge, PublicationState

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
PUBLISHED = PublicationState.PUBLISHED

CHANGES_SCHEMA = inline_serializer("Changes", {
    "changes": inline_serializer("Change", {
    "cursor": serializers.CharField(help_text="Pass as `since` to get the changes after this one."),
    "action": serializers.ChoiceField(choices=["created", "published", "updated", "unpublished", "deleted",
                                               "merged"]),
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


def encode_cursor(history_id: int) -> str:
    return base64.urlsafe_b64encode(f"h{history_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("h") or not text[1:].isdigit():
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"since": [_("Not a cursor from this feed; start without `since`.")]}) from None


def action_of(row: Any, merges: Mapping[int, int | None]) -> str:
    if row.history_type == "-":
        return "merged" if row.id in merges else "deleted"
    if row.publication_state != PUBLISHED:
        return "unpublished"
    if row.previous_state is None or row.previous_type == "-":  # new, or restored after a deletion
        return "created"
    return "published" if row.previous_state != PUBLISHED else "updated"


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
        history = Initiative.history.model.objects
        previous = history.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by("-history_id")
        rows = list(
            history.filter(history_id__gt=since)
            .annotate(previous_state=Subquery(previous.values("publication_state")[:1]),
                      previous_type=Subquery(previous.values("history_type")[:1]))
            .filter(Q(publication_state=PUBLISHED) | Q(previous_state=PUBLISHED))
            .order_by("history_id")
            .only("history_id", "history_type", "history_date", "id", "slug", "publication_state")[:limit + 1]
        )
        more, rows = len(rows) > limit, rows[:limit]
        live = set(Initiative.objects.published().filter(pk__in=[r.id for r in rows]).values_list("pk", flat=True))
        removed = [row.id for row in rows if row.history_type == "-"]
        # Merged into a published record; into a draft, the feed says only that this one went.
        merges = dict(Merge.objects.filter(removed_id__in=removed, kept__publication_state=PUBLISHED)
                      .values_list("removed_id", "kept_id"))
        changes = [{
            "cursor": encode_cursor(row.history_id),
            "action": action_of(row, merges),
            "id": row.id,
            "slug": row.slug,
            "at": row.history_date,
            "url": request.build_absolute_uri(reverse("api:initiative-detail", kwargs={"pk": row.id}))
            if row.id in live else None,
            "mergedInto": merges.get(row.id) if row.history_type == "-" else None,
        } for row in rows]
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
