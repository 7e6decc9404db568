"""The admin's lists as a link shows them, for the screens that count or walk through them."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, QueryDict


def changelist(model_admin: admin.ModelAdmin, request: HttpRequest, query: str | QueryDict) -> ChangeList:
    """The admin's list of a model as it is shown with this query string (its scoping by region, filters,
    search and order): what a link with that query shows, for counting it or walking through it."""
    listing: Any = copy.copy(request)
    listing.GET = query if isinstance(query, QueryDict) else QueryDict(query)
    return model_admin.get_changelist_instance(listing)
