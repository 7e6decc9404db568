"""The shared initiative filter set (registry.filters) as the site's filter form: check boxes for the
short vocabularies, a drop-down for the long lists, labels in the visitor's language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from geo.models import Municipality, Province
from registry.filters import InitiativeFilterSet
from registry.models import Initiative, Partner, Status

# The filters the site offers, in the order of the form; the API has more.
SITE_FILTERS = ["q", "kind", "service", "status", "province", "municipality", "partner"]
# A page with only these in its address may be kept for the next visitor (registry.caching): codes
# and page numbers, whose values the register bounds, not a free text.
KEPT_PAGE_PARAMETERS = [*[name for name in SITE_FILTERS if name != "q"], "page", "ordering"]


class OneOfSelect(forms.SelectMultiple):
    """One drop-down for a filter that accepts several values: a long list (342 municipalities)
    is easier to use as a single choice, and an empty choice means 'all'."""

    allow_multiple_selected = False

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return [value for value in super().value_from_datadict(data, files, name) if value]


class MunicipalitySelect(OneOfSelect):
    """Each municipality carries its province, so that the map's script can offer only the
    municipalities of the chosen province."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-province"] = instance.province.code
        return option


# The names the site shows for the filters (messages about a bad value name the filter by these).
SITE_LABELS = {"q": _("Search"), "kind": _("Kind"), "service": _("Services"), "status": _("Status"),
               "province": _("Province"), "municipality": _("Municipality"), "partner": _("Partner")}


def site_filters(data: QueryDict, queryset: QuerySet[Initiative]) -> InitiativeFilterSet:
    filters = InitiativeFilterSet(data, queryset=queryset)
    fields = filters.form.fields
    for name, field in fields.items():  # the API's other parameters go by their own names
        field.label = SITE_LABELS.get(name, name)
    fields["status"].choices = [(value, capfirst(label)) for value, label in fields["status"].choices]
    for name in ("kind", "service", "status"):
        fields[name].widget = forms.CheckboxSelectMultiple(choices=fields[name].choices)
    drop_downs = {
        "province": (Province.objects.order_by("name"), _("All provinces")),
        "municipality": (Municipality.objects.current().order_by("name"), _("All municipalities")),
        "partner": (Partner.objects.order_by("name"), _("All partners")),
    }
    for name, (choices, empty_label) in drop_downs.items():
        field = fields[name]
        field.queryset = choices.only("pk", field.to_field_name or "pk", "name")
        if name == "municipality":
            field.queryset = field.queryset.select_related("province").only("pk", "code", "name", "province__code")
        field.empty_label = empty_label  # the choice iterator then offers it first
        field.widget = (MunicipalitySelect if name == "municipality" else OneOfSelect)(choices=field.choices)
    return filters


# The map shows running initiatives unless its address names the statuses to show: a visitor should
# not travel to a shop that closed years ago. (The list and the API show every status by default.)
MAP_DEFAULT_STATUS = [Status.ACTIVE.value]


def with_map_default(data: QueryDict) -> QueryDict:
    """The map's filters: those of the address, with MAP_DEFAULT_STATUS when it names no status."""
    if any(data.getlist("status")):
        return data
    data = data.copy()
    data.setlist("status", MAP_DEFAULT_STATUS)
    return data


def filter_query(filters: InitiativeFilterSet) -> str:
    """The site filters of a request as a query string, for links between the map and the list."""
    query = QueryDict(mutable=True)
    for name in SITE_FILTERS:
        values = [value for value in filters.data.getlist(name) if value]
        if values:
            query.setlist(name, values)
    return query.urlencode()
