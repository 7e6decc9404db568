"""The admin's lists as a link shows them, for the screens that count or walk through them (the work
overview, the suggestion queue's next)."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, QueryDict


class CountedList(ChangeList):
    """A list's rows (its scoping, filters, search and order) and their number, without fetching its page
    or counting it unfiltered as its page does."""

    def get_results(self, request: HttpRequest) -> None:
        self.result_count = self.queryset.count()
        self.full_result_count = None
        self.result_list = self.queryset.none()
        self.can_show_all = self.multi_page = self.show_full_result_count = self.show_admin_actions = False


def changelist(model_admin: admin.ModelAdmin, request: HttpRequest, query: str | QueryDict) -> ChangeList:
    """The admin's list of a model as it is shown with this query string: what a link with that query
    shows, for counting it or walking through it. Asks the ModelAdmin (RoleAdmin.get_changelist) for a
    CountedList."""
    listing: Any = copy.copy(request)
    listing.GET = query if isinstance(query, QueryDict) else QueryDict(query)
    listing.changelist_class = CountedList
    return model_admin.get_changelist_instance(listing)
