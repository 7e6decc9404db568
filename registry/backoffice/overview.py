"""The admin's home page: the work waiting in the maintainer's region, each count with a link to the
list it counts, and the latest changes there.

A count is the result count of the admin's own list with the filter of its link (ChangeList, with the
ModelAdmin's scoping by region and its list filters), so the number on the home page and the number
of rows behind its link cannot differ. Work of another kind (background jobs, when they come) is one
more entry in WORK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.admin import AdminSite
from django.db.models import Model
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import ngettext
from procrastinate.contrib.django.models import ProcrastinateJob

from registry import duplicates
from registry.backoffice.lists import changelist
from registry.models import (
    DuplicateCandidate,
    DuplicateDecision,
    ImportRun,
    Initiative,
    RoundState,
    Suggestion,
    SuggestionState,
    VerificationRound,
)
from registry.roles import access_for

RECENT_CHANGES = 15
BEST_PAIRS = 5


@dataclass(frozen=True)
class Work:
    """One kind of work: how much of it waits, and the list that shows exactly that."""

    key: str
    count: int
    label: str
    url: str


@dataclass(frozen=True)
class WorkKind:
    key: str
    model: type[Model]
    query: dict[str, str]
    label: Callable[[int], str]
    for_writers: bool = False  # only for those who may change records (work that is theirs to do)


WORK: tuple[WorkKind, ...] = (
    WorkKind("suggestions", Suggestion, {"state__exact": SuggestionState.PENDING},
         lambda n: ngettext("suggestion waiting for review", "suggestions waiting for review", n)),
    WorkKind("duplicates", DuplicateCandidate, {"decision__exact": DuplicateDecision.OPEN},
         lambda n: ngettext("possible duplicate to review", "possible duplicates to review", n)),
    WorkKind("stale", Initiative, {"freshness": "stale"},
         lambda n: ngettext("record to verify (not verified for a year, or never)",
                            "records to verify (not verified for a year, or never)", n)),
    WorkKind("assigned", Initiative, {"assigned": "mine"},
         lambda n: ngettext("record assigned to you", "records assigned to you", n), for_writers=True),
    WorkKind("imports-waiting", ImportRun, {"state": "waiting"},
         lambda n: ngettext("import checked and waiting to be committed",
                            "imports checked and waiting to be committed", n)),
    WorkKind("imports-failed", ImportRun, {"state": "failed"},
         lambda n: ngettext("import with errors, not imported", "imports with errors, not imported", n)),
    WorkKind("worklist", VerificationRound, {"state__exact": RoundState.WORKLIST},
         lambda n: ngettext("record not confirmed by its initiative, to verify by hand",
                            "records not confirmed by their initiatives, to verify by hand", n), for_writers=True),
    WorkKind("failed-jobs", ProcrastinateJob, {"status": "failed"},
         lambda n: ngettext("background job failed", "background jobs failed", n)),
)


def list_url(model: type[Model], query: dict[str, str]) -> str:
    opts = model._meta
    params = QueryDict(mutable=True)
    params.update(query)
    return f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{params.urlencode()}"


def list_count(site: AdminSite, request: HttpRequest, model: type[Model], query: dict[str, str]) -> int | None:
    """The number of rows the admin's list of `model` shows with this query (None: the user may not
    see that list)."""
    model_admin = site._registry.get(model)
    if model_admin is None or not model_admin.has_view_permission(request):
        return None
    params = QueryDict(mutable=True)
    params.update(query)
    return int(changelist(model_admin, request, params).result_count)


def work(site: AdminSite, request: HttpRequest) -> list[Work]:
    access = access_for(request.user)
    found = []
    for kind in WORK:
        if kind.for_writers and not access.can_write:
            continue
        count = list_count(site, request, kind.model, kind.query)
        if count is not None:
            found.append(Work(kind.key, count, kind.label(count), list_url(kind.model, kind.query)))
    return found


def best_pairs(site: AdminSite, request: HttpRequest) -> list[DuplicateCandidate]:
    """The open pairs most likely first (the duplicate review's own order), in the user's region, each with
    its reasons in words (`why`)."""
    model_admin = site._registry[DuplicateCandidate]
    if not model_admin.has_view_permission(request):
        return []
    pairs = list(model_admin.get_queryset(request).filter(decision=DuplicateDecision.OPEN)
                 .select_related("first", "second").order_by("-score", "distance_m")[:BEST_PAIRS])
    for pair in pairs:
        pair.why = duplicates.explain(pair.reasons)  # for the template
    return pairs


def recent_changes(request: HttpRequest) -> list[Any]:
    """The latest versions of initiatives in the user's region (where each version lay), newest first."""
    access = access_for(request.user)
    if not access.is_maintainer:
        return []
    history = Initiative.history.model
    return list(history.objects.filter(access.region()).select_related("history_user")
                .only("history_id", "id", "name", "history_date", "history_type", "history_change_reason",
                      "history_user__username", "history_user__first_name", "history_user__last_name")
                .order_by("-history_date", "-history_id")[:RECENT_CHANGES])


def context(site: AdminSite, request: HttpRequest) -> dict[str, Any]:
    access = access_for(request.user)
    return {
        "work": work(site, request),
        "best_pairs": best_pairs(site, request),
        "recent_changes": recent_changes(request),
        "region": access.describe_region() if access.is_maintainer else "",
        "is_maintainer": access.is_maintainer,
    }
