"""The shared initiative filter set (registry.filters) as the site's filter form: check boxes for the
short vocabularies, a drop-down for the long lists, labels in the visitor's language."""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe
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

    def option_attrs(self, value: Any) -> str:
        return ""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        """The markup of Django's select template, written here: Django renders each <option> through
        a template of its own, and its model choices one by one, which for the 1,050 municipalities
        and partners took most of a list or map page computed."""
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v is not None}
        options = "".join(
            f'<option value="{escape(str(choice))}"{self.option_attrs(choice)}'
            f'{" selected" if str(choice) in chosen else ""}>{escape(str(label))}</option>'
            for choice, label in self.choices)
        return mark_safe(f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>'
                         f"{options}</select>")  # every value and label escaped above


class MunicipalitySelect(OneOfSelect):
    """Each municipality carries its province, so that the map's script can offer only the
    municipalities of the chosen province."""

    def option_attrs(self, value: Any) -> str:
        instance = getattr(value, "instance", None)
        return "" if instance is None else f' data-province="{escape(instance.province.code)}"'


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
