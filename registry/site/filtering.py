"""The shared initiative filter set (registry.filters) as the site's filter form: check boxes for the
short vocabularies, a drop-down for the long lists, labels in the visitor's language."""

from __future__ import annotations

import hashlib
from html import escape
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geo.models import Municipality, Province
from geo.search import Location, places_named
from registry.caching import kept_in_process
from registry.filters import InitiativeFilterSet
from registry.models import Initiative, Partner, Status
from registry.site.design import DesignedBoundField

# The filters the site offers, in the order of the form; the API has more.
SITE_FILTERS = ["q", "kind", "service", "status", "province", "municipality", "partner"]
# A page with only these in its address may be kept for the next visitor (registry.caching): codes
# and page numbers, whose values the register bounds, not a free text.
KEPT_PAGE_PARAMETERS = [*[name for name in SITE_FILTERS if name != "q"], "page", "ordering"]


class OneOfSelect(forms.SelectMultiple):
    """One drop-down for a filter that accepts several values: a long list (342 municipalities)
    is easier to use as a single choice, and an empty choice means 'all'.

    Its options are (value, label, attributes) as drop_down_options() keeps them, after an empty
    choice labelled `empty_label` (lazily translated)."""

    allow_multiple_selected = False

    def __init__(self, options: list[tuple[str, str, str]], empty_label: Any) -> None:
        super().__init__()
        self.options_kept = options
        self.empty_label = empty_label

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return [value for value in super().value_from_datadict(data, files, name) if value]

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        """The markup of Django's select template, written here: Django renders each <option> through
        a template of its own, and its model choices one by one as model instances, which for the
        1,050 municipalities and partners took most of a list or map page computed."""
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v is not None}
        options = "".join(
            f'<option value="{escape(choice)}"{extra}{" selected" if choice in chosen else ""}>{escape(label)}</option>'
            for choice, label, extra in [("", str(self.empty_label), ""), *self.options_kept])
        return mark_safe(f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>'
                         f"{options}</select>")  # every value, label and attribute escaped


def drop_down_options(name: str, queryset: QuerySet[Any], value_field: str, version: Any
                      ) -> list[tuple[str, str, str]]:
    """The options of a long drop-down (province, municipality, partner): (value, name, extra
    attributes), read as plain rows and kept in this process while the register keeps its version
    (registry.caching.kept_in_process).
    Each municipality carries its province (data-province), so that the map's script can offer only
    the municipalities of the chosen province."""
    def read() -> list[tuple[str, str, str]]:
        if name == "municipality":
            return [(str(value), label, f' data-province="{escape(province)}"')
                    for value, label, province in queryset.values_list(value_field, "name", "province__code")]
        return [(str(value), label, "") for value, label in queryset.values_list(value_field, "name")]

    return kept_in_process(f"options:{name}", version, read)


def vocabulary_choices(name: str, field: Any, version: Any) -> list[tuple[str, str]]:
    """(code, label in the visitor's language) of a vocabulary's check boxes (kind, service), kept
    as the drop-downs' options are: Django's model choices read them through a server-side cursor
    into model instances on every page."""
    return kept_in_process(f"choices:{name}:{get_language()}", version,
                 lambda: [(str(getattr(term, field.to_field_name or "pk")), str(term)) for term in field.queryset])


# The names the site shows for the filters (messages about a bad value name the filter by these).
SITE_LABELS = {"q": _("Search"), "kind": _("Kind"), "service": _("Services"), "status": _("Status"),
               "province": _("Province"), "municipality": _("Municipality"), "partner": _("Partner")}


def site_filters(data: QueryDict, queryset: QuerySet[Initiative], *, version: Any = None) -> InitiativeFilterSet:
    """The filter form of the site's pages; `version` (registry.caching.register_version) lets the
    long drop-downs' options be kept while the register does not change."""
    filters = InitiativeFilterSet(data, queryset=queryset)
    filters.form.bound_field_class = DesignedBoundField  # the design system's class names on the controls
    fields = filters.form.fields
    for name, field in fields.items():  # the API's other parameters go by their own names
        field.label = SITE_LABELS.get(name, name)
        # The API's explanations (for its OpenAPI document) are not shown here; left on, each control
        # would point aria-describedby at a text that is not on the page.
        field.help_text = ""
    fields["status"].choices = [(value, capfirst(label)) for value, label in fields["status"].choices]
    for name in ("kind", "service"):
        fields[name].widget = forms.CheckboxSelectMultiple(choices=vocabulary_choices(name, fields[name], version))
    fields["status"].widget = forms.CheckboxSelectMultiple(choices=fields["status"].choices)
    drop_downs = {
        "province": (Province.objects.order_by("name"), _("All provinces")),
        "municipality": (Municipality.objects.current().order_by("name"), _("All municipalities")),
        "partner": (Partner.objects.order_by("name"), _("All partners")),
    }
    for name, (choices, empty_label) in drop_downs.items():
        field = fields[name]
        field.queryset = choices
        options = drop_down_options(name, choices, field.to_field_name or "pk", version)
        field.widget = OneOfSelect(options, empty_label)
    return filters


def panel_fingerprint(filters: InitiativeFilterSet, version: Any) -> str:
    """A digest of every option the filter panel of `site_filters` offers, in the visitor's language:
    part of the key of a page kept by what it shows (an area or a partner renamed, a label changed)."""
    def digest() -> str:
        fields = filters.form.fields
        options = ([fields[name].widget.choices for name in ("kind", "service")]
                   + [fields[name].widget.options_kept for name in ("province", "municipality", "partner")])
        return hashlib.sha256(repr(options).encode()).hexdigest()

    return str(kept_in_process(f"panel:{get_language()}", version, digest))


# The map shows running initiatives unless its address names the statuses to show: a visitor should
# not travel to a shop that closed years ago. (The list and the API show every status by default.)
MAP_DEFAULT_STATUS = [Status.ACTIVE.value]


def names_a_status(data: QueryDict) -> bool:
    """Whether the address chooses statuses (else the map shows MAP_DEFAULT_STATUS, the list all)."""
    return any(data.getlist("status"))


def with_map_default(data: QueryDict) -> QueryDict:
    """The map's filters: those of the address, with MAP_DEFAULT_STATUS when it names no status."""
    if names_a_status(data):
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


# How far the list looks around a place someone chose or typed (a village's region); suggest.js reads
# it from the list's form (data-around).
AROUND_A_PLACE_M = 25_000
# The list's address for what is around a point: the point, how far, and the place's name to say it
# by (only shown: the filters take the first two).
AROUND_PARAMETERS = ("near", "radius", "nearName")
NEAR_NAME_CHARACTERS = 100

PLACE_KINDS = {"municipality": _("municipality"), "province": _("province"), "place": _("place"),
               "postcode": _("postcode")}


def place_detail(place: Location) -> str:
    """What kind of place it is and where: "postcode, Utrecht", "municipality, Overijssel", "province"
    (map.js's placeDetail writes it alike, from PLACE_KINDS)."""
    return f"{PLACE_KINDS[place.type]}, {place.context}" if place.context else str(PLACE_KINDS[place.type])


def searched_text(filters: InitiativeFilterSet) -> str:
    return (filters.form.cleaned_data.get("q") or "").strip() if filters.is_valid() else ""


def places_meant(filters: InitiativeFilterSet) -> list[Location]:
    """The places the search's whole text names ("3511", "Zwolle"): someone who typed a place in the
    search box instead of choosing it among the suggestions wants what is there, and the text alone
    finds only the records that mention it (none, for a postcode)."""
    # Without the "*" the map's script puts after a word still being typed (registry.filters.UNFINISHED).
    text = searched_text(filters).rstrip("* ")
    return places_named(text) if text else []


def around_query(data: QueryDict, place: Location) -> str:
    """The list's address for what is in or around a place, with the other filters kept: a
    municipality or province as its filter, any other place as the records within AROUND_A_PLACE_M of
    it, nearest first (as suggest.js's lookAround does for a place chosen among the suggestions:
    change both)."""
    query = data.copy()
    for name in ("q", "page", "province", "municipality", *AROUND_PARAMETERS):
        query.pop(name, None)
    if place.municipality:
        query["municipality"] = place.municipality
    elif place.province:
        query["province"] = place.province
    else:
        query.pop("ordering", None)
        query["near"] = f"{place.lon},{place.lat}"
        query["radius"] = str(AROUND_A_PLACE_M)
        query["nearName"] = place.name
    return query.urlencode()
