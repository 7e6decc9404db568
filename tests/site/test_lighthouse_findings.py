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
