"""Benchmark of the OGC API's items beside the REST API's same query and the bare SQL.

    make bench                                   # all benchmarks
    DEBUG=true python -m tests.benchmarks.ogc    # this one alone

On the benchmark's own database (``registry_bench``, or ``<REGISTRY_DB_NAME>_bench``; BENCH_COUNT
demo initiatives, 100,000 by default, shared with the other benchmarks), through Django's whole
request handling in this process (a test client; no network, no gunicorn), with the response
cache off and the count kept as the API keeps it (so both answer as they do after the first
request of a register version):

1. a page of 1,000 initiatives, in CRS84 and in RD New (EPSG:28992);
2. a CQL2-filtered page (`province_code = … AND service = … AND status = 'actief'`, up to 1,000);
3. the REST API's same pages (pageSize=1000 as GeoJSON, and with the same filters as parameters);
4. the bare SQL: one statement that selects the same rows and writes the same GeoJSON features
   from the tables (no prepared documents, no Django), in RD New.

Each is timed BENCH_OGC_REPEAT times (default 20); the report gives medians. The CQL2 page, the
REST API's page and the bare SQL are checked to hold the same initiatives. Report: .bench/ogc-report.md.
"""

from __future__ import annotations

import datetime
import json
from urllib.parse import quote

from config.env import envint
from tests.benchmarks.api import code_version, machine_facts
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    Series,
    check,
    ensure_register,
    execute,
    own_database,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "ogc-report.md"
RD_NEW = "http://www.opengis.net/def/crs/EPSG/0/28992"

# The same GeoJSON features as the OGC API's, in RD New, straight from the tables.
BARE_SQL = """
SELECT coalesce(string_agg(json_build_object(
           'type', 'Feature', 'id', i.id,
           'geometry', ST_AsGeoJSON(ST_Transform(i.location, 28992), 2, 0)::json,
           'properties', json_build_object(
               'id', i.id, 'slug', i.slug, 'name', i.name, 'kind', k.code,
               'services', coalesce((SELECT json_agg(s.code ORDER BY s."order", s.code)
                                       FROM registry_initiative_services l
                                       JOIN registry_service s ON s.id = l.service_id
                                      WHERE l.initiative_id = i.id), '[]'::json),
               'status', i.status, 'place', i.place, 'municipality_code', m.code, 'province_code', p.code,
               'founded_year', i.founded_year, 'updated_at', i.updated_at))::text, ',' ORDER BY i.id), ''),
       count(*)
  FROM (SELECT i.id FROM registry_initiative i
          LEFT JOIN geo_province p ON p.id = i.province_id
         WHERE i.publication_state = 'gepubliceerd' {where}
         ORDER BY i.id LIMIT 1000) page
  JOIN registry_initiative i ON i.id = page.id JOIN registry_kind k ON k.id = i.kind_id
  LEFT JOIN geo_municipality m ON m.id = i.municipality_id LEFT JOIN geo_province p ON p.id = i.province_id
"""
FILTER_SQL = """AND p.code = %s AND i.status = 'actief'
           AND i.id IN (SELECT l.initiative_id FROM registry_initiative_services l
                          JOIN registry_service s ON s.id = l.service_id WHERE s.code = %s)"""


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_OGC_REPEAT", 20)
    own_database()
    use_bench_database()
    database = prepare_schema_and_areas()
    ensure_register(count)

    from django.conf import settings
    from django.test import Client

    from registry.models import Initiative

    settings.API_RESPONSE_CACHE = False
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from rest_framework.settings import api_settings

    api_settings.reload()
    client = Client()
    published = Initiative.objects.published()
    # A province and a service that together select several hundred published running initiatives.
    province, service = "PV22", "energie"
    expected = set(published.filter(province__code=province, status="actief", services__code=service)
                   .order_by("pk").values_list("pk", flat=True)[:1000])
    check(100 < len(expected) < 1000, f"{len(expected)} initiatives match the filter; pick another")
    cql2 = f"province_code = '{province}' AND service = '{service}' AND status = 'actief'"
    scenarios = {
        "OGC items, 1,000 in CRS84": "/ogc/v1/collections/initiatives/items?limit=1000",
        "OGC items, 1,000 in RD New": f"/ogc/v1/collections/initiatives/items?limit=1000&crs={quote(RD_NEW)}",
        "OGC items, CQL2 filter, RD New": (f"/ogc/v1/collections/initiatives/items?limit=1000&crs={quote(RD_NEW)}"
                                           f"&filter={quote(cql2)}"),
        "REST API, 1,000 as GeoJSON": "/api/v1/initiatives?pageSize=1000&cursor=&format=geojson",
        "REST API, same filter, GeoJSON": (f"/api/v1/initiatives?pageSize=1000&cursor=&format=geojson"
                                           f"&province={province}&service={service}&status=actief&ordering=name"),
    }
    results: dict[str, tuple[Series, int, int]] = {}
    for label, url in scenarios.items():
        series = Series(label)
        response = client.get(url)  # the first request of the version counts and keeps the count
        check(response.status_code == 200, f"{url}: {response.status_code} {response.content[:300]!r}")
        for _ in range(repeat):
            response = series.time(lambda url=url: client.get(url))
        document = json.loads(response.content)
        ids = {feature["id"] for feature in document["features"]}
        if "filter" in url or "province=" in url:
            check(ids == expected, f"{label} found {len(ids)} initiatives, not the {len(expected)} expected")
        results[label] = (series, len(response.content), len(ids))

    for label, where, params in (("bare SQL, 1,000 in RD New", "", []),
                                 ("bare SQL, same filter, RD New", FILTER_SQL, [province, service])):
        series = Series(label)
        for _ in range(repeat):
            text, found = series.time(lambda where=where, params=params: execute(BARE_SQL.format(where=where),
                                                                                 params)[0])
        ids = {feature["id"] for feature in json.loads(f"[{text}]")}
        if params:
            check(ids == expected, f"the bare SQL found {len(ids)} initiatives, not {len(expected)}")
        results[label] = (series, len(text), found)

    lines = [
        "# OGC API Features beside the REST API and the bare SQL",
        "",
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {code_version()}, database {database} with "
        f"{Initiative.objects.count():,} initiatives ({published.count():,} published).",
        *[f"- {fact}" for fact in machine_facts()],
        "",
        f"In-process requests through Django (test client), response cache off, counts kept per register "
        f"version; median of {repeat} runs. The CQL2 filter is `{cql2}`; the REST API's page takes the same "
        f"conditions as parameters; all three filtered answers hold the same {len(expected)} initiatives.",
        "",
        "| what | median ms | bytes | features |",
        "|---|---:|---:|---:|",
        *[f"| {label} | {fmt(series.median)} | {size:,} | {found:,} |"
          for label, (series, size, found) in results.items()],
        "",
        "The bare SQL writes the same features (fewer properties) from the tables in one statement, without the "
        "prepared documents; the OGC API splices the prepared open-data Features and transforms the point.",
    ]
    publish_report(REPORT_FILE, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

