"""A filtered download is built once and then kept until what it holds changes; the whole register streams."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opendata import formats, views
from registry import actions
from tests.maintainers import administrator
from tests.opendata.test_exports import body


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def test_a_filtered_download_is_kept_until_what_it_holds_changes(client: Client, leiden, utrecht):
    url = "/opendata/initiatives.csv?province=PV28"

    with CaptureQueriesContext(connection) as first:
        built = client.get(url)
    with CaptureQueriesContext(connection) as second:
        kept = client.get(url)
    built_queries, kept_queries = len(first), len(second)
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    maintainer = administrator()
    utrecht.name = "Energiecoöperatie Utrecht-Oost"  # in another province: the file is kept
    actions.save_edit(utrecht, type(utrecht).objects.get(pk=utrecht.pk), acting_user=maintainer)
    with CaptureQueriesContext(connection) as after_other_edit:
        kept_after_other_edit = client.get(url)
    queries_after_other_edit = len(after_other_edit)  # now: the next request empties the query log
    leiden.name = "Buurtkamer De Linde en Eik"
    actions.save_edit(leiden, type(leiden).objects.get(pk=leiden.pk), acting_user=maintainer)
    changed = client.get(url)

    assert not built.streaming and built["Content-Disposition"] == 'attachment; filename="initiatives-PV28.csv"'
    assert kept.content == built.content
    assert kept_queries < built_queries
    assert kept_after_other_edit.content == built.content and queries_after_other_edit == kept_queries
    assert [row[2] for row in rows(built.content)[1:]] == ["Buurtkamer De Linde"]  # Zuid-Holland only
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == built.content
    assert [row[2] for row in rows(changed.content)[1:]] == ["Buurtkamer De Linde en Eik"]
    # Tagged by what the file is kept under (its selection's fingerprint), not by hashing it per request:
    # the same tag while it is kept, another for the compressed body and for the changed file.
    assert built["ETag"] == kept["ETag"] == kept_after_other_edit["ETag"]
    assert built["ETag"].startswith('W/"') and hashlib.md5(built.content).hexdigest() not in built["ETag"]
    assert len({built["ETag"], zipped["ETag"], changed["ETag"]}) == 3
    assert client.get(url, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH=built["ETag"]).status_code == 200


def test_the_whole_register_streams(client: Client, leiden, utrecht):
    response = client.get("/opendata/initiatives.csv")

    assert response.streaming
    assert len(rows(b"".join(response.streaming_content))) == 3


def test_a_selections_workbook_and_geopackage_are_kept_until_what_they_hold_changes(client: Client, leiden, utrecht,
                                                                                 monkeypatch):
    written: list[str] = []
    for name in ("write_xlsx", "write_geopackage"):
        original = getattr(formats, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            written.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(formats, name, counted)
    workbook, geopackage = "/opendata/initiatives.xlsx?province=PV28", "/opendata/initiatives.gpkg?province=PV28"

    first = [body(client.get(url)) for url in (workbook, geopackage)]
    again = [body(client.get(url)) for url in (workbook, geopackage)]
    leiden.name = "Buurtkamer De Linde en Eik"
    actions.save_edit(leiden, type(leiden).objects.get(pk=leiden.pk), acting_user=administrator())
    client.get(workbook)
    in_rd_new = client.get(geopackage + "&crs=EPSG:28992")

    assert again == first
    # Once each, then again for the changed selection; RD New is a file of its own.
    assert written == ["write_xlsx", "write_geopackage", "write_xlsx", "write_geopackage"]
    assert in_rd_new["Content-Disposition"] == 'attachment; filename="initiatives-PV28-EPSG-28992.gpkg"'
    # A GeoPackage's pages shrink; a workbook is a zip already.
    zipped = [client.get(url, HTTP_ACCEPT_ENCODING="gzip") for url in (workbook, geopackage)]
    assert [response.get("Content-Encoding") for response in zipped] == [None, "gzip"]
    assert gzip.decompress(body(zipped[1])).startswith(b"SQLite format 3\x00")


def test_a_selection_too_large_to_keep_is_written_for_each_request(client: Client, leiden, utrecht, monkeypatch):
    monkeypatch.setattr(views, "KEPT_DOWNLOAD_ROWS", 0)
    written: list[int] = []
    original = formats.write_xlsx
    monkeypatch.setattr(formats, "write_xlsx", lambda *args, **kwargs: written.append(1) or original(*args, **kwargs))

    responses = [client.get("/opendata/initiatives.xlsx?province=PV28") for _ in range(2)]

    assert len(written) == 2
    assert body(responses[0])[:2] == body(responses[1])[:2] == b"PK"  # a zip file, as a workbook is


def test_a_parameter_only_a_geopackage_bounds_keeps_no_other_file(client: Client, leiden, utrecht):
    # `crs` chooses among three systems for a GeoPackage; to a CSV it is a made-up parameter, and a
    # flood of its values must not fill the cache.
    address = "/opendata/initiatives.csv?province=PV28&crs="

    responses = [client.get(address + value) for value in ("EPSG:28992", "made-up")]

    assert [response.streaming for response in responses] == [True, True]
