"""Saved filters: a maintainer names the filter of an admin list (its query string) and finds it again
above that list, their own only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.backoffice.models import SavedFilter, filter_query
from registry.roles import signed_in


def changelist_url(list_name: str) -> str:
    app_label, _dot, model_name = list_name.partition(".")
    return reverse(f"admin:{app_label}_{model_name}_changelist")


def urls(site: AdminSite) -> list[Any]:
    return [
        path("saved-filters/save/", site.admin_view(require_POST(save)), name="saved_filter_save"),
        path("saved-filters/<int:pk>/delete/", site.admin_view(require_POST(delete)), name="saved_filter_delete"),
    ]


def save(request: HttpRequest) -> HttpResponse:
    list_name = request.POST.get("list", "")
    try:
        back = changelist_url(list_name)
    except NoReverseMatch:
        raise Http404 from None
    saved = SavedFilter(user=signed_in(request.user), list_name=list_name, name=request.POST.get("name", ""),
                        query=request.POST.get("query", ""))
    try:
        saved.full_clean(exclude=["user"])
    except ValidationError as error:
        messages.error(request, _("The filter was not saved: %(reason)s") % {"reason": " ".join(error.messages)})
        query = filter_query(request.POST.get("query", ""))
        return HttpResponseRedirect(f"{back}?{query}" if query else back)
    SavedFilter.objects.update_or_create(user=signed_in(request.user), list_name=list_name, name=saved.name,
                                         defaults={"query": saved.query})
    messages.success(request, _("The filter “%(name)s” is saved; you find it above this list.")
                     % {"name": saved.name})
    return HttpResponseRedirect(f"{back}?{saved.query}")


def delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = SavedFilter.objects.filter(pk=pk, user=signed_in(request.user)).first()
    if saved is None:
        raise Http404
    saved.delete()
    messages.success(request, _("The filter “%(name)s” is deleted.") % {"name": saved.name})
    return HttpResponseRedirect(changelist_url(saved.list_name))


def for_list(request: HttpRequest, list_name: str) -> list[SavedFilter]:
    return list(SavedFilter.objects.filter(user=signed_in(request.user), list_name=list_name))
