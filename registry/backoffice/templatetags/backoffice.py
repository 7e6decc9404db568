"""{% saved_filters %}: the user's saved filters of the list being shown, and the form that saves its filter."""

from __future__ import annotations

from typing import Any

from django import template

from registry.backoffice import saved_filters as saving
from registry.backoffice.models import filter_query

register = template.Library()


@register.inclusion_tag("admin/registry/saved_filters.html", takes_context=True)
def saved_filters(context: dict[str, Any]) -> dict[str, Any]:
    request, cl = context["request"], context["cl"]
    list_name = f"{cl.opts.app_label}.{cl.opts.model_name}"
    current = filter_query(request.GET.urlencode())
    saved = saving.for_list(request, list_name)
    return {"saved": saved, "current": current, "list_name": list_name, "csrf_token": context.get("csrf_token"),
            "changelist_url": request.path,
            "is_saved": any(item.query == current for item in saved)}
