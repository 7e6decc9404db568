"""A filtered download is built once and then kept until what it holds changes; the whole register streams."""

from __future__ import annotations

import csv
import gzip
import io

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry import actions
from tests.maintainers import administrator


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

    assert not built.streaming and built["Content-Disposition"] == 'attachment; filename="initiatives.csv"'
    assert kept.content == built.content
    assert kept_queries < built_queries
    assert kept_after_other_edit.content == built.content and queries_after_other_edit == kept_queries
    assert [row[2] for row in rows(built.content)[1:]] == ["Buurtkamer De Linde"]  # Zuid-Holland only
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == built.content
    assert [row[2] for row in rows(changed.content)[1:]] == ["Buurtkamer De Linde en Eik"]


def test_the_whole_register_streams(client: Client, leiden, utrecht):
    response = client.get("/opendata/initiatives.csv")

    assert response.streaming
    assert len(rows(b"".join(response.streaming_content))) == 3
