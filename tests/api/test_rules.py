"""The Dutch API Design Rules, caching, CORS and fair use."""

from __future__ import annotations

import os
import re
import time

import pytest

from registry import actions


@pytest.mark.parametrize("path", ["/api/v1", "/api/v1/initiatives", "/api/v1/kinds", "/api/v1/provinces",
                                  "/api/v1/municipalities", "/api/v1/stats", "/api/v1/changes", "/api/v1/partners",
                                  "/api/v1/openapi.json", "/api/v1/nothing", "/api/v1/initiatives?bbox=1"])
def test_every_response_carries_the_api_version(client, db, path):
    assert client.get(path)["API-Version"] == "1.0.0"


def test_paths_have_no_trailing_slash(client, leiden):
    assert client.get("/api/v1/initiatives").status_code == 200
    assert client.get("/api/v1/initiatives/").status_code == 404
    assert client.get(f"/api/v1/initiatives/{leiden.pk}/").status_code == 404


def test_the_openapi_document_has_contact_version_and_every_parameter(client, db):
    document = client.get("/api/v1/openapi.json").json()

    assert document["openapi"].startswith("3.")
    assert re.fullmatch(r"\d+\.\d+\.\d+", document["info"]["version"])
    assert set(document["info"]["contact"]) == {"name", "email", "url"}
    # Unless an operator names another, the site's own contact page (a placeholder sent readers nowhere).
    from urllib.parse import urlsplit

    contact = urlsplit(document["info"]["contact"]["url"])
    if "API_CONTACT_URL" not in os.environ:
        assert contact.path == "/contact" and client.get(contact.path).status_code == 200
    parameters = {p["name"] for p in document["paths"]["/api/v1/initiatives"]["get"]["parameters"]}
    assert parameters >= {"kind", "service", "serviceMatch", "partner", "partnerKind", "partnershipRole",
                          "fundingSource", "municipality", "province", "status", "q", "bbox", "near", "radius",
                          "foundedFrom", "foundedTo", "updatedSince", "verifiedSince", "ordering", "page",
                          "pageSize", "format"}
    assert all(name == name[0].lower() + name[1:] and "_" not in name for name in parameters)
    for path, operations in document["paths"].items():
        assert not path.endswith("/"), path
        for operation in operations.values():
            problem = operation["responses"]["400"]["content"]["application/problem+json"]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_the_interactive_documentation_is_served_from_our_own_files(client, db):
    html = client.get("/api/v1/docs").content.decode()

    scripts = re.findall(r'<script[^>]* src="([^"]+)"', html) + re.findall(r'<link[^>]* href="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in s for s in scripts)
    assert all(s.startswith("/static/") or s.startswith("/api/") for s in scripts), scripts


def test_an_unchanged_response_is_a_304_by_etag_and_by_date(client, leiden):
    first = client.get("/api/v1/initiatives")
    assert first["Cache-Control"] == "public, max-age=60"
    assert first["ETag"] and first["Last-Modified"]

    by_tag = client.get("/api/v1/initiatives", HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get("/api/v1/initiatives", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert (by_tag.status_code, by_date.status_code) == (304, 304)
    assert by_tag["API-Version"] == "1.0.0"

    before = type(leiden).objects.get(pk=leiden.pk)
    leiden.name = "Buurtkamer De Linde en Eik"
    actions.save_edit(leiden, before, acting_user=None)
    assert client.get("/api/v1/initiatives", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_new_release_changes_every_etag_and_kept_answer(client, leiden, monkeypatch):
    """A release that changes what an answer holds, with the register unchanged: a client's ETag no
    longer matches, and the shared cache does not answer with what the release before kept."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry import caching

    def made_again(path: str) -> bool:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return any("registry_initiativedocument" in query["sql"] and not query["sql"].startswith("SELECT GREATEST")
                   for query in queries.captured_queries)

    paths = ["/api/v1/initiatives", f"/api/v1/initiatives/{leiden.pk}"]
    before = {path: client.get(path)["ETag"] for path in paths}
    assert [client.get(path, HTTP_IF_NONE_MATCH=before[path]).status_code for path in paths] == [304, 304]
    kept = "/api/v1/initiatives/map?province=PV28"
    assert made_again(kept) and not made_again(kept)

    monkeypatch.setattr(caching, "release", lambda: "the next release")
    for path in paths:
        again = client.get(path, HTTP_IF_NONE_MATCH=before[path])
        assert again.status_code == 200 and again["ETag"] != before[path]
    assert made_again(kept) and not made_again(kept)


def test_the_release_is_a_digest_of_the_files_that_shape_the_answers(tmp_path, monkeypatch):
    from config import release

    monkeypatch.setattr(release, "PROJECT_DIR", tmp_path)
    monkeypatch.setattr(release, "SHAPING_DIRECTORIES", ("api", "templates"))
    (tmp_path / "api").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "api" / "views.py").write_text("ANSWER = 1\n")
    (tmp_path / "templates" / "page.html").write_text("<p>{{ name }}</p>\n")

    def digest() -> str:
        return release.release.__wrapped__()

    first = digest()
    (tmp_path / "api" / "notes.md").write_text("not part of an answer\n")
    (tmp_path / "api" / "__pycache__").mkdir()
    (tmp_path / "api" / "__pycache__" / "views.py").write_text("compiled\n")
    assert digest() == first and len(first) == 16
    (tmp_path / "templates" / "page.html").write_text("<p>{{ name|upper }}</p>\n")
    assert digest() != first


def test_a_detail_is_versioned_by_its_own_document_in_one_statement(client, leiden, utrecht, released_long_ago):
    """A detail's Last-Modified and ETag follow its own document, read with it: another record's
    edit leaves them (and a client's 304) alone, its own edit moves them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils.http import http_date

    from registry.models import InitiativeDocument

    path = f"/api/v1/initiatives/{leiden.pk}"
    with CaptureQueriesContext(connection) as queries:
        first = client.get(path)
    prepared_at = InitiativeDocument.objects.get(initiative=leiden).prepared_at
    assert first["Last-Modified"] == http_date(prepared_at.timestamp())
    assert [q["sql"] for q in queries.captured_queries if "api_throttle" not in q["sql"]] == [
        q["sql"] for q in queries.captured_queries if "registry_initiativedocument" in q["sql"]]
    assert len(queries.captured_queries) == 2  # the throttle's count and the document

    before = type(utrecht).objects.get(pk=utrecht.pk)
    utrecht.name = "Dorpshuis De Ster"
    actions.save_edit(utrecht, before, acting_user=None)
    again = client.get(path)
    assert (again["ETag"], again["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    before = type(leiden).objects.get(pk=leiden.pk)
    leiden.name = "Buurtkamer De Linde en Eik"
    actions.save_edit(leiden, before, acting_user=None)
    changed = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["name"] == "Buurtkamer De Linde en Eik"
    assert changed["ETag"] != first["ETag"]
    assert changed["Last-Modified"] == http_date(
        InitiativeDocument.objects.get(initiative=leiden).prepared_at.timestamp())


def test_an_answer_is_never_older_than_the_release_that_made_it(client, leiden, monkeypatch):
    """A release changes what answers hold (a template, a document assembled at read time) without an
    edit: a copy from before it, revalidated by date, is answered anew; by ETag too."""
    import datetime

    from django.utils.http import http_date

    from registry.models import InitiativeDocument

    long_ago = datetime.datetime(2026, 1, 5, 12, 0, tzinfo=datetime.UTC)
    InitiativeDocument.objects.filter(pk=leiden.pk).update(prepared_at=long_ago)
    path = f"/api/v1/initiatives/{leiden.pk}"
    monkeypatch.setattr("registry.caching.released_at", lambda: long_ago.timestamp() - 3600)
    before = client.get(path)
    assert before["Last-Modified"] == http_date(long_ago.timestamp())
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"]).status_code == 304

    deployed = long_ago + datetime.timedelta(days=30)
    monkeypatch.setattr("registry.caching.released_at", lambda: deployed.timestamp())
    monkeypatch.setattr("registry.caching.release", lambda: "0123456789abcdef")
    by_date = client.get(path, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert by_date.status_code == 200 and by_date["Last-Modified"] == http_date(deployed.timestamp())
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=by_date["Last-Modified"]).status_code == 304
    by_tag = client.get(path, HTTP_IF_NONE_MATCH=before["ETag"])
    assert by_tag.status_code == 200 and by_tag["ETag"] != before["ETag"]
    ogc = client.get(f"/ogc/v1/collections/initiatives/items/{leiden.pk}")
    assert ogc["Last-Modified"] == http_date(deployed.timestamp())


def test_the_release_is_dated_by_its_newest_file_and_never_in_the_future(tmp_path, monkeypatch):
    import os
    import time

    from config import release

    (tmp_path / "registry").mkdir()
    old, new = tmp_path / "registry" / "a.py", tmp_path / "registry" / "b.html"
    old.write_text("a"), new.write_text("b")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_750_000_000, 1_750_000_000))
    monkeypatch.setattr(release, "PROJECT_DIR", tmp_path)
    release.released_at.cache_clear()
    try:
        assert release.released_at() == 1_750_000_000
        os.utime(new, (time.time() + 86_400, time.time() + 86_400))  # a skewed clock, an archive's dates
        release.released_at.cache_clear()
        assert release.released_at() <= time.time()
    finally:
        release.released_at.cache_clear()


def test_a_stale_detail_was_last_modified_when_it_became_stale(client, leiden, released_long_ago):
    """"stale" turns true on a day without an edit: a copy from before then is not current."""
    import datetime

    from django.utils import timezone
    from django.utils.http import http_date

    from registry import documents
    from registry.models import Initiative, InitiativeDocument
    from registry.querysets import stale_since

    verified_on = timezone.localdate() - datetime.timedelta(days=800)
    Initiative.objects.filter(pk=leiden.pk).update(last_verified_on=verified_on)
    documents.prepare([leiden.pk])
    long_ago = timezone.now() - datetime.timedelta(days=1000)
    InitiativeDocument.objects.filter(pk=leiden.pk).update(prepared_at=long_ago)

    answer = client.get(f"/api/v1/initiatives/{leiden.pk}")
    became_stale = timezone.make_aware(datetime.datetime.combine(stale_since(verified_on), datetime.time.min))
    assert answer.json()["stale"] is True
    assert answer["Last-Modified"] == http_date(became_stale.timestamp())
    assert client.get(f"/api/v1/initiatives/{leiden.pk}",
                      HTTP_IF_MODIFIED_SINCE=http_date(long_ago.timestamp())).status_code == 200


def test_an_authenticated_answer_is_not_cached_by_others(staff_client, leiden):
    assert staff_client.get("/api/v1/initiatives")["Cache-Control"] == "private, no-store"


def test_reads_are_open_to_other_origins_and_writes_are_not(client, db):
    read = client.get("/api/v1/kinds", HTTP_ORIGIN="https://gemeente.example")
    assert read["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/api/v1/initiatives", HTTP_ORIGIN="https://gemeente.example",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "POST" not in preflight["Access-Control-Allow-Methods"]


def test_too_many_anonymous_requests_get_a_429_problem_with_retry_after(client, db, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    statuses = [client.get("/api/v1/kinds").status_code for _ in range(4)]
    response = client.get("/api/v1/kinds")

    assert statuses == [200, 200, 200, 429]
    assert response["Content-Type"] == "application/problem+json"
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["status"] == 429


def throttle_statements(queries) -> int:
    return sum("api_throttle" in query["sql"] for query in queries.captured_queries)


def hits_in_postgresql() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(hits), 0) FROM api_throttle")
        return int(cursor.fetchone()[0])


def test_a_process_adds_a_clients_requests_to_postgresql_a_batch_at_a_time(client, db, monkeypatch):
    """A hundredth of the limit per batch: 10 under 1,000 a day (a day, so no window ends mid-test)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000/day"})
    with CaptureQueriesContext(connection) as queries:
        statuses = {client.get("/api/v1/kinds").status_code for _ in range(25)}

    assert statuses == {200}
    assert throttle_statements(queries) == 3  # the 1st request, the 11th and the 21st
    assert hits_in_postgresql() == 21  # the 22nd to the 25th wait here for the next batch


def test_the_limit_holds_when_other_processes_count_the_same_client(client, db, monkeypatch):
    """Near its limit a client's every request is counted in PostgreSQL at once, so requests that
    other processes let in meanwhile (added to its count there) are seen before this one lets in
    more: the limit holds exactly here, where without that it would be passed by their 3."""
    from django.db import connection
    from rest_framework.throttling import AnonRateThrottle

    def others_let_in(requests: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE api_throttle SET hits = hits + %s", [requests])

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000/day"})
    assert client.get("/api/v1/kinds").status_code == 200
    others_let_in(985)
    let_in = 1
    while hits_in_postgresql() < 990:  # this process's batches
        assert client.get("/api/v1/kinds").status_code == 200
        let_in += 1
    others_let_in(3)
    while client.get("/api/v1/kinds").status_code == 200:
        let_in += 1
        assert let_in < 100

    assert 985 + 3 + let_in == 1000
    # The last let in synced the count to the limit, so the refused request was refused here, uncounted.
    assert hits_in_postgresql() == 1000


def test_a_client_over_its_limit_is_refused_without_a_statement_or_a_count(client, db, monkeypatch):
    """Once this process knows the client is past its limit, a flood of further requests costs
    PostgreSQL nothing: counts only grow within a window, so what it knows already refuses them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "5/day"})
    assert [client.get("/api/v1/kinds").status_code for _ in range(5)] == [200] * 5
    with CaptureQueriesContext(connection) as queries:
        refused = [client.get("/api/v1/kinds") for _ in range(20)]

    assert [response.status_code for response in refused] == [429] * 20
    # No window before this one, so the wait is what is left of the day's window (a second may pass).
    left = 86_400 - int(time.time()) % 86_400
    assert {left - 1 <= int(response["Retry-After"]) <= left + 1 for response in refused} == {True}
    assert throttle_statements(queries) == 0
    assert hits_in_postgresql() == 5
    # Another address is not refused for it.
    assert client.get("/api/v1/kinds", REMOTE_ADDR="192.0.2.99").status_code == 200


def test_a_flood_of_addresses_cannot_grow_a_process_s_tallies(client, db, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    from api import throttling

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000/day"})
    monkeypatch.setattr(throttling, "MAX_TALLIES", 5)
    statuses = {client.get("/api/v1/kinds", REMOTE_ADDR=f"192.0.2.{number}").status_code for number in range(12)}

    assert statuses == {200}
    assert list(throttling._tallies) == [f"throttle_anon_192.0.2.{number}" for number in range(7, 12)]  # the latest
    assert hits_in_postgresql() == 12  # every first request of an address is counted at once


def test_under_a_limit_below_a_hundred_every_request_is_counted_in_postgresql(client, db, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "99/day"})
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            client.get("/api/v1/kinds")

    assert throttle_statements(queries) == 5 and hits_in_postgresql() == 5


def test_the_map_data_comes_from_the_response_cache_until_the_register_changes(client, leiden):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = client.get("/api/v1/initiatives/map?province=PV28")
    with CaptureQueriesContext(connection) as again:
        second = client.get("/api/v1/initiatives/map?province=PV28")
    assert second.content == first.content
    assert not [q for q in again.captured_queries  # kept (the register's version is read, nothing else)
                if "registry_initiativedocument" in q["sql"] and not q["sql"].startswith("SELECT GREATEST")]

    before = type(leiden).objects.get(pk=leiden.pk)
    leiden.name = "Buurtkamer De Eik"
    actions.save_edit(leiden, before, acting_user=None)
    assert client.get("/api/v1/initiatives/map?province=PV28").json()["features"][0]["properties"]["name"] == (
        "Buurtkamer De Eik")


def test_records_are_assembled_for_every_request_by_one_statement(client, leiden):
    """Not kept: a page is assembled from prepared documents at the speed of the database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/api/v1/initiatives")
    with CaptureQueriesContext(connection) as again:
        client.get("/api/v1/initiatives")
    data = [q["sql"] for q in again.captured_queries
            if "registry_initiative" in q["sql"] and not q["sql"].startswith("SELECT GREATEST")]
    assert len(data) == 1 and "registry_initiativedocument" in data[0]  # the count is kept; the documents not


def test_made_up_parameters_are_answered_but_keep_nothing(client, leiden):
    from registry.caching import responses

    def kept() -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM registry_response_cache")
            return int(cursor.fetchone()[0])

    client.get("/api/v1/initiatives/map")
    before = kept()
    for number in range(20):
        assert client.get(f"/api/v1/initiatives/map?made_up={number}").status_code == 200
        assert client.get(f"/api/v1/initiatives/map?bbox=4.4,52.1,4.6,52.{number + 20}").status_code == 200
        assert client.get(f"/?x={number}").status_code == 200
    assert kept() == before
    assert responses().get("anything") is None


def test_staff_reads_are_never_answered_from_the_response_cache(client, staff_client, leiden):
    from tests.conftest import UTRECHT, make

    client.get("/api/v1/initiatives")
    Initiative = type(leiden)
    Initiative.objects.filter(pk=leiden.pk).update(publication_state="concept")  # no history: version unchanged
    make("Ander", UTRECHT, publication_state="concept")
    assert staff_client.get("/api/v1/initiatives").json()["count"] == 2
