"""The open-data page, live downloads (streamed, with the API's filters) and the snapshots."""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from opendata import formats
from opendata.catalog import catalog_graph
from opendata.package import data_package
from opendata.snapshots import BY_FILE, DISTRIBUTIONS, SNAPSHOT_NAME, now_stamp, snapshots
from registry.caching import cached_page, keepable, kept_response, register_version
from registry.columns import INITIATIVE_COLUMNS, PARTNERSHIP_COLUMNS
from registry.filters import KEPT_FILTER_PARAMETERS, InitiativeFilterSet
from registry.models import Initiative
from registry.monitor import (
    TABLE_COLUMNS,
    UnknownArea,
    UnknownYear,
    monitor_for,
    monitor_years,
    tables,
    years_with_figures,
)
from registry.querysets import InitiativeQuerySet


@cached_page()
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "opendata/index.html", {
        "distributions": DISTRIBUTIONS,
        "snapshots": snapshots(settings.OPENDATA_ROOT)[:30],
        "tables": [("initiatives.csv", INITIATIVE_COLUMNS), ("partnerships.csv", PARTNERSHIP_COLUMNS)],
        "licence_url": settings.OPENDATA_LICENSE_URL,
        "licence_title": settings.OPENDATA_LICENSE_TITLE,
        "monitor_year": monitor_years()[-1],
        "monitor_tables": list(TABLE_COLUMNS.items()),
    })


def filtered(request: HttpRequest) -> InitiativeQuerySet | HttpResponse:
    """The published initiatives that match the API's filters in the address, or a 400 that names
    every bad parameter."""
    filters = InitiativeFilterSet(request.GET, queryset=Initiative.objects.published())
    if not filters.is_valid():
        lines = [f"{name}: {' '.join(messages)}" for name, messages in filters.errors.items()]
        return HttpResponseBadRequest("\n".join([_("Some filters could not be used:"), *lines]) + "\n",
                                      content_type="text/plain; charset=utf-8")
    return Initiative.objects.filter(pk__in=filters.qs.values("pk"))


# Downloads for a municipality or a theme are asked for again and again (portals, links from the
# area pages): up to this many rows one is built once per version of the register and kept.
# Larger ones (the whole register and the like) stream; portals take the day's snapshot instead.
KEPT_DOWNLOAD_ROWS = 5000


R = TypeVar("R", bound=HttpResponseBase)


def attachment(response: R, name: str) -> R:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# What of a selection goes into its file's name: letters, digits, dots and hyphens, at most this many,
# of the parameters that choose it (not a newsletter's utm_source).
SELECTION_NAME_CHARACTERS = 60
SELECTION_PARAMETERS = frozenset(InitiativeFilterSet.base_filters) | {"nearName", "crs"}


def selection_name(name: str, query: QueryDict) -> str:
    """The file's name with its selection's values in it ("initiatives-GM0344-winkel.csv"): downloads
    of two selections are two files a person can tell apart, not "initiatives (1).csv". Around a
    place that has a name, the name rather than the point and the radius ("initiatives-Bergen.csv")."""
    naming = SELECTION_PARAMETERS - ({"near", "radius"} if query.get("nearName") else set())
    values = "-".join(value for parameter in query if parameter in naming for value in query.getlist(parameter))
    words = re.sub(r"[^A-Za-z0-9.]+", "-", unicodedata.normalize("NFKD", values).encode("ascii", "ignore").decode())
    selection = words.strip("-.")[:SELECTION_NAME_CHARACTERS].rstrip("-.")
    if not selection:
        return name
    stem, _dot, extension = name.partition(".")
    return f"{stem}-{selection}.{extension}"


def kept_download(request: HttpRequest, initiatives: InitiativeQuerySet, name: str, content_type: str,
                  produce: Callable[[], bytes], *, compress: bool, bounded: frozenset[str] = frozenset(),
                  shown: tuple[int, Any] | None = None) -> HttpResponse | None:
    """A selection's file as kept from an earlier request, or made now and kept: for a selection of at
    most KEPT_DOWNLOAD_ROWS initiatives whose address holds only bounded filters (registry.caching)
    and the file's own `bounded` parameters (checked already). The files are made of the initiatives'
    prepared documents, so they change only with their number and their documents' last preparation:
    kept across edits of other initiatives (`shown`: their fingerprint, when the caller has it). None
    when the selection is not to be kept."""
    if not (settings.PAGE_CACHE and request.GET and keepable(request, KEPT_FILTER_PARAMETERS | bounded)):
        return None
    shown = shown or initiatives.fingerprint()
    if shown[0] > KEPT_DOWNLOAD_ROWS:
        return None
    site = request.build_absolute_uri("/").rstrip("/")
    kept = kept_response(request, (site, name), produce, content_type, compress=compress, version=shown)
    assert kept is not None  # `produce` always makes a body
    return kept


def download(request: HttpRequest, name: str) -> HttpResponseBase:
    if name not in BY_FILE:
        raise Http404(name)
    if name in MONITOR_FILES:
        return national_monitor_table(request, name)
    initiatives = filtered(request)
    if isinstance(initiatives, HttpResponse):
        return initiatives
    media_type = BY_FILE[name].media_type
    site = request.build_absolute_uri("/").rstrip("/")
    if name == "initiatives.gpkg":
        # `crs` chooses RD New or ETRS89, which PDOK's GeoPackage rules ask for.
        crs = request.GET.get("crs", "EPSG:4326")
        if crs not in formats.GEOPACKAGE_SRIDS:
            return HttpResponseBadRequest(_("crs: use one of %(crs)s.") % {"crs": ", ".join(formats.GEOPACKAGE_SRIDS)}
                                          + "\n", content_type="text/plain; charset=utf-8")
        # A GeoPackage is a database file: written by GDAL.
        return written_file(request, initiatives, name, media_type, lambda path: formats.write_geopackage(
            initiatives, path, formats.GEOPACKAGE_SRIDS[crs]), bounded=frozenset({"crs"}), compress=True)
    if name == "initiatives.xlsx":
        return workbook(request, initiatives, site)
    if name == "datapackage.json":
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        created = now_stamp()
        # The monitor's tables are the whole country's: described only beside the whole register.
        monitor = None if request.GET else {
            table: request.build_absolute_uri(reverse("opendata:download", args=[formats.monitor_file(table)]))
            for table in TABLE_COLUMNS}
        document = data_package({"initiatives": request.build_absolute_uri(reverse("opendata:download", args=[
            "initiatives.csv"])) + query, "partnerships": request.build_absolute_uri(reverse(
                "opendata:download", args=["partnerships.csv"])) + query}, site, created, monitor=monitor)
        return JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    stream = formats.text_streams(initiatives, site)[name]
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    filename = selection_name(name, request.GET)
    kept = kept_download(request, initiatives, name, content_type, lambda: "".join(stream()).encode(), compress=True)
    if kept is not None:
        return attachment(kept, filename)
    return attachment(StreamingHttpResponse((chunk.encode() for chunk in stream()), content_type=content_type),
                      filename)


def written_file(request: HttpRequest, initiatives: InitiativeQuerySet, name: str, media_type: str,
                 write: Callable[[Path], object], *, bounded: frozenset[str] = frozenset(),
                 compress: bool = False, shown: tuple[int, Any] | None = None) -> HttpResponseBase:
    """A file that is not text (a GeoPackage, a workbook), written to a temporary file: kept as a text
    download is (kept_download, with its `bounded`, and compressed with `compress`: a GeoPackage's
    SQLite pages shrink, a workbook is a zip already), or sent and removed."""
    def written() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            write(path)
            return path.read_bytes()

    filename = selection_name(name, request.GET)
    kept = kept_download(request, initiatives, name, media_type, written, compress=compress, bounded=bounded,
                         shown=shown)
    if kept is not None:
        return attachment(kept, filename)
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / name
    write(path)
    response = FileResponse(path.open("rb"), content_type=media_type)
    # Removed once sent: Django calls these when the response is closed.
    response._resource_closers.append(folder.cleanup)  # type: ignore[attr-defined]  # not in django-stubs
    return attachment(response, filename)


# A workbook takes about 0.35 ms a row to write (openpyxl): up to this many rows (3–4 s) one is
# written for the request; a larger selection of the whole register is the day's snapshot's.
WORKBOOK_ROWS = 10_000


def workbook(request: HttpRequest, initiatives: InitiativeQuerySet, site: str) -> HttpResponseBase:
    """The workbook of a selection, written for the request; the whole register's is the latest
    snapshot's (written once a day by the background job, rather than once per visitor)."""
    name = "initiatives.xlsx"
    if not request.GET:
        latest = next((snapshot for snapshot in snapshots(settings.OPENDATA_ROOT)
                       if any(file["name"] == name for file in snapshot["files"])), None)
        if latest is not None:
            return HttpResponseRedirect(reverse("opendata:snapshot-file", args=[latest["date"], name]))
    shown = initiatives.fingerprint()  # its count, and what a kept workbook follows (kept_download)
    count = shown[0]
    if count > WORKBOOK_ROWS:
        return HttpResponseBadRequest(
            _("A workbook of %(count)s initiatives is too large to make for one request (at most %(most)s): "
              "choose fewer with the filters, take this selection as CSV, or the whole register from the daily "
              "snapshot (%(page)s).") % {
                "count": number_format(count, force_grouping=True),
                "most": number_format(WORKBOOK_ROWS, force_grouping=True),
                "page": request.build_absolute_uri(reverse("opendata:index"))}
            + "\n", content_type="text/plain; charset=utf-8")
    created, language = now_stamp(), get_language()
    selection = request.build_absolute_uri() if request.GET else None
    return written_file(request, initiatives, name, formats.XLSX_MEDIA_TYPE,
                        lambda path: formats.write_xlsx(initiatives, path, site, created, language, selection),
                        shown=shown)


MONITOR_FILES = {formats.monitor_file(table) for table in TABLE_COLUMNS}


def national_monitor_table(request: HttpRequest, name: str) -> HttpResponse:
    """A table of the national monitor, every year with yearly figures, as the snapshot holds it; from
    the kept monitors of the register's version (registry.monitor.monitor_for)."""
    if request.GET:
        return HttpResponseBadRequest(
            _("%(names)s: the monitor's tables are the whole country's and take no filters; a province's or "
              "municipality's are at /opendata/monitor/<year>/<code>/<table>.csv.") % {"names": ", ".join(request.GET)}
            + "\n", content_type="text/plain; charset=utf-8")
    version = register_version(request)
    monitors = [monitor_for(year, None, version) for year in years_with_figures()]
    body = "".join(formats.monitor_streams(lambda: monitors)[name]())
    return attachment(HttpResponse(body.encode(), content_type="text/csv; charset=utf-8"), name)


def snapshot_file(request: HttpRequest, day: str, name: str) -> FileResponse:
    allowed = set(BY_FILE) | {"manifest.json", "SHA256SUMS"}
    if not SNAPSHOT_NAME.match(day) or name not in allowed:
        raise Http404(name)
    path = Path(settings.OPENDATA_ROOT) / day / name
    if not (path.parent / "manifest.json").is_file() or not path.is_file():
        raise Http404(name)
    media_type = BY_FILE[name].media_type if name in BY_FILE else (
        "application/json" if name.endswith(".json") else "text/plain")
    compressed = path.with_name(name + ".gz")
    if "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "") and compressed.is_file():
        response = FileResponse(compressed.open("rb"), content_type=media_type, as_attachment=name in BY_FILE,
                                filename=name)
        response["Content-Encoding"] = "gzip"
    else:
        response = FileResponse(path.open("rb"), content_type=media_type, as_attachment=name in BY_FILE,
                                filename=name)
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def snapshot_list(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"snapshots": snapshots(settings.OPENDATA_ROOT)})


def catalog(request: HttpRequest, extension: str) -> HttpResponse:
    """The DCAT-AP catalogue record, as JSON-LD or Turtle."""
    site = request.build_absolute_uri("/").rstrip("/")
    latest = next(iter(snapshots(settings.OPENDATA_ROOT)), None)
    graph = catalog_graph(site, latest)
    if extension == "ttl":
        return HttpResponse(graph.serialize(format="turtle"), content_type="text/turtle; charset=utf-8")
    return HttpResponse(graph.serialize(format="json-ld", auto_compact=True),
                        content_type="application/ld+json")


def monitor_table(request: HttpRequest, year: int, table: str, area: str | None = None) -> HttpResponse:
    """One table of the annual monitor as CSV (RFC 4180, UTF-8): the rows /api/v1/monitor gives, from
    the same monitor, computed once per version of the register (registry.monitor)."""
    if table not in TABLE_COLUMNS:
        raise Http404(table)
    try:
        monitor = monitor_for(year, area, register_version(request))
    except (UnknownYear, UnknownArea):
        raise Http404(_("There is no monitor for this year or area.")) from None
    response = HttpResponse(formats.table_csv(tables(monitor)[table]).encode(), content_type="text/csv; charset=utf-8")
    return attachment(response, f"monitor-{monitor.year}-{(monitor.area.code or 'NL').lower()}-{table}.csv")
