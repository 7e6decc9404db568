"""What Lighthouse's SEO audits found missing on the public pages (issue 14, `make bench`'s
tests/benchmarks/lighthouse.py): a description for search results, and a robots.txt."""

from __future__ import annotations

import re

from django.test import Client

from registry.models import Initiative


def descriptions(html: str) -> list[str]:
    return re.findall(r'<meta name="description" content="([^"]*)">', html)


def test_every_public_page_has_one_description_in_its_language(client: Client, leiden: Initiative):
    for path in ("/", "/initiatieven", "/statistieken", "/opendata"):
        assert descriptions(client.get(path, HTTP_ACCEPT_LANGUAGE="nl").content.decode()) == [
            "Waar bewonersinitiatieven en bewonersbedrijven in Nederland zijn en wat ze bieden: op een kaart, "
            "in een lijst en als open data."], path
        assert descriptions(client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()) == [
            "Where residents' initiatives and resident enterprises in the Netherlands are and what they "
            "offer: on a map, in a list and as open data."], path


def test_an_initiatives_page_is_described_by_its_short_description(client: Client, leiden: Initiative):
    html = client.get(f"/initiatieven/{leiden.slug}").content.decode()

    assert descriptions(html) == ["Huiskamer voor de buurt."]


def test_robots_txt_opens_the_public_pages_and_closes_the_private_ones(client: Client, db):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "User-agent: *\nDisallow: /admin/\nDisallow: /controle/\n"


def test_a_kept_page_goes_gzipped_to_a_client_that_accepts_it(client: Client, leiden: Initiative):
    import gzip

    for path in ("/", "/initiatieven", f"/initiatieven/{leiden.slug}"):
        plain = client.get(path)
        zipped = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

        assert "Content-Encoding" not in plain, path
        assert zipped["Content-Encoding"] == "gzip", path
        assert gzip.decompress(zipped.content) == plain.content, path
        assert len(zipped.content) < len(plain.content) / 2, path
        assert "Accept-Encoding" in plain["Vary"] and "Accept-Encoding" in zipped["Vary"], path
