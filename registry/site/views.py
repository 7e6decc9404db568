"""Public pages of the register: the list (works without JavaScript) and one initiative."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt

from geo.models import Municipality, Province
from registry import search
from registry.caching import cached_page, kept_count, register_version
from registry.filters import DEFAULT_RADIUS_M, InitiativeFilterSet
from registry.models import (
    Initiative,
    Kind,
    Partner,
    Partnership,
    PartnershipRole,
    PublicationState,
    SlugAlias,
    Status,
)
from registry.schema_org import organisation
from registry.site.figures import evidence_items, income_mix
from registry.site.filtering import (
    AROUND_A_PLACE_M,
    AROUND_PARAMETERS,
    KEPT_PAGE_PARAMETERS,
    NEAR_NAME_CHARACTERS,
    around_query,
    filter_query,
    names_a_status,
    panel_fingerprint,
    place_detail,
    places_meant,
    site_filters,
    with_map_default,
)
from registry.site.maps import initiative_location_map, initiatives_map

PAGE_SIZE = 20
# What the list and an area's page offer to download of what they list (registry/_downloads.html).
DOWNLOAD_FORMATS = [("initiatives.xlsx", "Excel"), ("initiatives.csv", "CSV"), ("initiatives.geojson", "GeoJSON")]
# An area's map shows what its list and counts hold: every status, each with its own marker.
EVERY_STATUS = "&".join(f"status={status.value}" for status in Status)
EMBED_HEIGHTS = (300, 400, 500, 600, 800)


@cached_page(KEPT_PAGE_PARAMETERS)
def home(request: HttpRequest) -> HttpResponse:
    """The map with the filters beside it; the data comes per view (registry.site.mapdata), not with
    the page. Running initiatives unless the address names statuses."""
    filters = site_filters(with_map_default(request.GET), Initiative.objects.published(),
                           version=register_version(request))
    valid = filters.is_valid()  # a bad value is shown beside the form; the map says it too
    return render(request, "registry/map.html", {
        "filters": filters,
        "count": kept_count(filters.qs, register_version(request)) if valid else None,
        "map": initiatives_map(),
        "list_query": filter_query(filters),
    }, status=200 if valid else 400)


@xframe_options_exempt
@cached_page(KEPT_PAGE_PARAMETERS)
def embed(request: HttpRequest) -> HttpResponse:
    """The map for an iframe on another site, with the filters of its address locked.

    Only this page may be framed, by any site: the exemption also opens the CSP's frame-ancestors."""
    filters = site_filters(with_map_default(request.GET), Initiative.objects.published(),
                           version=register_version(request))
    valid = filters.is_valid()
    locked = filter_query(filters) if valid else ""
    return render(request, "registry/embed.html", {
        "filters": filters,
        "valid": valid,
        "count": kept_count(filters.qs, register_version(request)) if valid else None,
        "map": initiatives_map(locked_query=locked, embedded=True) if valid else None,
        "site_url": request.build_absolute_uri(reverse("registry:home") + (f"?{locked}" if locked else "")),
    }, status=200 if valid else 400)


@cached_page(KEPT_PAGE_PARAMETERS)
def embed_builder(request: HttpRequest) -> HttpResponse:
    """Choose the locked filters and the height, and copy the iframe code (works without JavaScript)."""
    filters = site_filters(request.GET, Initiative.objects.published(), version=register_version(request))
    valid = filters.is_valid()
    locked = filter_query(filters) if valid else ""
    try:
        height = int(request.GET.get("height", "500"))
    except ValueError:
        height = 500
    height = height if height in EMBED_HEIGHTS else 500
    embed_url = request.build_absolute_uri(reverse("registry:embed") + (f"?{locked}" if locked else ""))
    # Counted as the embedded map shows them: running initiatives unless statuses are chosen.
    shown = InitiativeFilterSet(with_map_default(request.GET), queryset=Initiative.objects.published()).qs
    return render(request, "registry/embed_builder.html", {
        "filters": filters, "heights": EMBED_HEIGHTS, "height": height, "embed_url": embed_url,
        "count": kept_count(shown, register_version(request)) if valid else None,
    }, status=200 if valid else 400)


def sort_choices(data: QueryDict) -> list[tuple[str, str]]:
    """The list's orders (the filter set's `ordering`); the first, empty, is the default: by distance
    with `near`, by relevance with a search, else by name."""
    if data.get("near"):
        default = _("Distance, nearest first")
    elif data.get("q", "").strip():
        default = _("Best match")
    else:
        default = _("Name")
    choices = [("", default)]
    if default != _("Name"):
        choices.append(("name", _("Name")))
    return [*choices, ("-foundedYear", _("Founding year, newest first")),
            ("foundedYear", _("Founding year, oldest first")),
            ("-lastVerifiedOn", _("Last verified, most recent first"))]


def nulls_last(queryset: QuerySet[Initiative]) -> QuerySet[Initiative]:
    """The same order with records that lack the value (never verified, no founding year) last both
    ways, where PostgreSQL puts them first when descending. (The API keeps its plain order: its
    cursors are made of the ordering's field names.)"""
    terms: list[Any] = []
    for term in queryset.query.order_by:
        if isinstance(term, str) and term.lstrip("-") in ("last_verified_on", "founded_year"):
            field = F(term.lstrip("-"))
            terms.append(field.desc(nulls_last=True) if term.startswith("-") else field.asc(nulls_last=True))
        else:
            terms.append(term)
    return queryset.order_by(*terms)


def listed(request: HttpRequest) -> tuple[InitiativeFilterSet, Page[Initiative] | None]:
    """The list's filters and the page the address asks for (None: a filter's value is invalid),
    made once per request: the page's version (list_version) and the page itself read them."""
    if not hasattr(request, "_listed"):
        filters = site_filters(request.GET, Initiative.objects.published().with_related().order_by("name", "pk"),
                               version=register_version(request))
        page = None
        if filters.is_valid():
            paginator = Paginator(nulls_last(filters.qs), PAGE_SIZE)
            # Counted once per register version and filter, as the API's pages are (90,000 rows: 15 ms).
            paginator.count = kept_count(filters.qs, register_version(request))
            page = paginator.get_page(request.GET.get("page"))
        request._listed = (filters, page)  # type: ignore[attr-defined]  # kept on the request
    return request._listed  # type: ignore[attr-defined]  # set just above


def list_version(request: HttpRequest) -> tuple[Any, ...] | None:
    """What a page of the list shows changes with its records (which ones, in which order, and when
    each one's document was last prepared: an edit of the record or of anything it shows), with the
    number found and with the filter panel's options. So an edit makes anew only the pages that show
    the edited record (and those whose records move), not every page of every filter. None (an
    invalid filter): the register's version."""
    filters, page = listed(request)
    if page is None:
        return None
    # The ids first (read from the name index), then their documents: joining the documents to
    # every row before the page's offset cost more than the two lookups.
    ids = list(nulls_last(filters.qs).values_list("pk", flat=True)[page.start_index() - 1:page.end_index()]
               if page.paginator.count else [])
    # Which records in which order, and the last preparation of their documents: an edit of one of
    # them prepares its document anew, later than all the others (InitiativeQuerySet.fingerprint).
    return (page.paginator.count, ids, Initiative.objects.filter(pk__in=ids).fingerprint(),
            panel_fingerprint(filters, register_version(request)))


@cached_page(KEPT_PAGE_PARAMETERS, version=list_version)
def initiative_list(request: HttpRequest) -> HttpResponse:
    """The results first, sortable, with the filters beside them (below them on a phone)."""
    filters, page = listed(request)
    sorts = sort_choices(request.GET)
    if page is None:
        # A hand-edited address with a bad value: say which, instead of failing.
        return render(request, "registry/initiative_list.html",
                      {"filters": filters, "page": None, "sorts": sorts, "around_m": AROUND_A_PLACE_M}, status=400)
    query = request.GET.copy()
    query.pop("page", None)
    # The sort form sends the filters along; the filter form the order and the point.
    kept_by_sort = [(name, value) for name in request.GET if name not in ("ordering", "page")
                    for value in request.GET.getlist(name)]
    kept_by_filters = [(name, value) for name in ("ordering", *AROUND_PARAMETERS)
                       for value in request.GET.getlist(name)]
    # A point chosen elsewhere (a place among the suggestions, "near me"), which no control shows:
    # said above the results, by the place's name when it came with one, with the way back to the
    # whole country.
    everywhere = request.GET.copy()
    for name in (*AROUND_PARAMETERS, "page"):
        everywhere.pop(name, None)
    map_query = filter_query(filters)
    if not names_a_status(request.GET):
        # The list shows every status by default, the map running ones: "show these on the map" names
        # the list's, as the map's link to the list names the map's.
        map_query = "&".join(part for part in (map_query, EVERY_STATUS) if part)
    return render(request, "registry/initiative_list.html", {
        "filters": filters, "page": page, "query": query.urlencode(), "map_query": map_query,
        "sorts": sorts, "ordering": request.GET.get("ordering", ""), "kept_by_sort": kept_by_sort,
        "around_m": AROUND_A_PLACE_M, "kept_by_filters": kept_by_filters,
        "download_query": "&".join(part for part in (filter_query(filters), near_query(request.GET)) if part),
        "formats": DOWNLOAD_FORMATS, "near": bool(request.GET.get("near")),
        "near_name": (request.GET.get("nearName") or "")[:NEAR_NAME_CHARACTERS],
        "radius_km": (filters.form.cleaned_data.get("radius") or DEFAULT_RADIUS_M) / 1000,
        "everywhere": everywhere.urlencode(),
        "did_you_mean": did_you_mean(request, filters),
        "places": [{"name": place.name, "detail": place_detail(place), "query": around_query(request.GET, place)}
                   for place in places_meant(filters)]})


def near_query(data: QueryDict) -> str:
    """The point and radius a list was narrowed to (a place chosen, "near me"), and the place's name
    (which names a download's file), as its address has them."""
    query = QueryDict(mutable=True)
    for name in AROUND_PARAMETERS:
        value = data.get(name)
        if value:
            query[name] = value
    return query.urlencode()


def did_you_mean(request: HttpRequest, filters: InitiativeFilterSet) -> dict[str, str] | None:
    """The search with its unknown words replaced by the closest known ones, and the address of that
    search with the same filters (None: no word was replaced)."""
    corrected = filters.qs.correction()
    if corrected is None:
        return None
    query = request.GET.copy()
    query.pop("page", None)
    query["q"] = corrected
    return {"text": corrected, "query": query.urlencode()}


def suggestions(request: HttpRequest) -> HttpResponse:
    """What the search box offers as someone types (registry/site/static/registry/suggest.js): places,
    services and initiatives, grouped, and "did you mean". JSON; never kept in a cache (any text)."""
    form = SuggestionsForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": {name: [str(m) for m in messages] for name, messages in form.errors.items()}},
                            status=400)
    found = search.suggest(form.cleaned_data["q"], Initiative.objects.published())
    groups = [
        {"kind": "places", "label": _("Places"), "items": [
            {"label": place.name, "detail": place_detail(place), "value": place.name,
             "lon": place.lon, "lat": place.lat, "zoom": place.zoom, "municipality": place.municipality,
             "province": place.province}
            for place in found.places]},
        {"kind": "services", "label": _("Services"), "items": [
            {"label": service.label, "detail": "", "service": service.code} for service in found.services]},
        {"kind": "initiatives", "label": _("Initiatives"), "items": [
            {"label": initiative.name, "detail": f"{initiative.kind} · {initiative.place}",
             "url": reverse("registry:initiative", args=[initiative.slug])} for initiative in found.initiatives]},
    ]
    return JsonResponse({"query": form.cleaned_data["q"], "groups": [g for g in groups if g["items"]],
                         "didYouMean": found.did_you_mean})


class SuggestionsForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, strip=False)


def record_version(request: HttpRequest, slug: str) -> tuple[Any, ...] | None:
    """What a published record's page shows changes with the record itself (updated_at), with what
    its prepared document shows of elsewhere (a label, a partner's name, an area: prepared_at), and
    with its yearly figures (their number and last change: a deleted year counts too)."""
    return (Initiative.objects.published().filter(slug=slug)
            .annotate(figures=Count("yearly_figures"), figures_changed=Max("yearly_figures__updated_at"))
            .values_list("updated_at", "document__prepared_at", "figures", "figures_changed").first())


@cached_page(version=record_version)
def initiative_detail(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = Initiative.objects.published().with_related().filter(slug=slug).first()
    if initiative is None:
        # An old address leads on only to a published record (a merge into a draft reveals nothing).
        alias = get_object_or_404(SlugAlias.objects.select_related("initiative"), slug=slug,
                                  initiative__publication_state=PublicationState.PUBLISHED)
        return HttpResponsePermanentRedirect(reverse("registry:initiative", args=[alias.initiative.slug]))
    return render(request, "registry/initiative_detail.html", {
        "initiative": initiative,
        "api_url": reverse("api:initiative-detail", args=[initiative.pk]),
        "map": initiative_location_map(initiative),
        "json_ld": json_for_script(schema_org(request, initiative)),
        "income_mix": income_mix(initiative),
        "evidence": evidence_items(initiative),
    })


# A name holding "</script>" would otherwise end the JSON-LD element and start markup of its own.
SCRIPT_SAFE = str.maketrans({"<": "\\u003C", ">": "\\u003E", "&": "\\u0026"})


def json_for_script(document: dict) -> str:
    """JSON to place inside a <script> element: the same data, with no character that HTML reads."""
    return json.dumps(document, ensure_ascii=False).translate(SCRIPT_SAFE)


def schema_org(request: HttpRequest, initiative: Initiative) -> dict:
    english = (get_language() or "nl").startswith("en")
    assert initiative.location is not None, "a stored record has its point (the column is NOT NULL)"
    document = organisation(
        url=request.build_absolute_uri(), name=initiative.name, short_description=initiative.short_description,
        description=initiative.description, street=initiative.street, house_number=initiative.house_number,
        postcode=initiative.postcode, place=initiative.place, latitude=initiative.location.y,
        longitude=initiative.location.x, website=initiative.website, founded_year=initiative.founded_year,
        services=[s.label_en if english else s.label_nl for s in initiative.services.all()])
    return {"@context": "https://schema.org", **document}


@cached_page()
def partner_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A partner and the published initiatives it supports, grouped by its role."""
    partner = get_object_or_404(Partner.objects.select_related("kind", "municipality"), slug=slug)
    links = (partner.partnerships.filter(initiative__publication_state=PublicationState.PUBLISHED)
             .select_related("role", "initiative__kind").order_by("role__order", "initiative__name"))
    by_role: dict[PartnershipRole, list[Partnership]] = {}
    for link in links:
        by_role.setdefault(link.role, []).append(link)
    return render(request, "registry/partner_detail.html", {"partner": partner, "by_role": by_role})


@cached_page(["page"])
def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A province (PV..) or municipality (GM..): its published initiatives counted, on a map of every
    status, and listed in full, page by page."""
    code = code.upper()
    area: Province | Municipality
    municipalities = None
    if code.startswith("PV"):
        area = get_object_or_404(Province, code=code)
        municipalities = area.municipalities.current().order_by("name")
        parameter = "province"
    else:
        area = get_object_or_404(Municipality.objects.select_related("province"), code=code)
        parameter = "municipality"
    initiatives = Initiative.objects.published().in_area(code)
    kinds = {k.pk: k for k in Kind.objects.all()}
    total = initiatives.count()
    return render(request, "registry/area_detail.html", {
        "area": area,
        "is_province": parameter == "province",
        "total": total,
        "by_kind": [(kinds[row["kind"]], row["count"]) for row in initiatives.counts_by("kind")],
        "by_status": [(Status(row["status"]).label, row["count"]) for row in initiatives.counts_by("status")],
        "municipalities": municipalities,
        "page": Paginator(initiatives.select_related("kind").order_by("name", "pk"), PAGE_SIZE)
        .get_page(request.GET.get("page")),
        "list_url": f"{reverse('registry:initiatives')}?{parameter}={code}",
        "download_query": f"{parameter}={code}", "formats": DOWNLOAD_FORMATS,
        "map": initiatives_map(locked_query=f"{parameter}={code}&{EVERY_STATUS}", in_page=True) if total else None,
    })


INFO_PAGES = {"about": "registry/pages/about.html", "contact": "registry/pages/contact.html",
              "privacy": "registry/pages/privacy.html", "accessibility": "registry/pages/accessibility.html",
              "licence": "registry/pages/licence.html"}


@cached_page()
def info_page(request: HttpRequest, page: str) -> HttpResponse:
    """The pages a public service owes its visitors (linked from every page's footer)."""
    return render(request, INFO_PAGES[page], {
        "contact_name": settings.CONTACT_NAME, "contact_email": settings.CONTACT_EMAIL,
        "stale_months": settings.STALE_AFTER_MONTHS,
        "licence_name": settings.OPENDATA_LICENSE_NAME, "licence_title": settings.OPENDATA_LICENSE_TITLE,
        "licence_url": settings.OPENDATA_LICENSE_URL, "opendata_url": reverse("opendata:index"),
        "api_url": reverse("api:docs"), "suggest_url": reverse("registry:suggest-new"),
        "contact_url": reverse("registry:contact"),
    })
