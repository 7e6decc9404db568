"""Evidence of an initiative's social value in public (docs/figures.md): on its page and in its API
document, newest first, with the method, year, result in words and figure, who assessed it and the
report; public with the initiative (no consent of its own: it is no amount of the initiative's money),
and nowhere while the initiative is not published."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.serializers.initiatives import InitiativeDetailSerializer
from registry import actions, figures
from registry.models import Initiative, PublicationState, SocialValueEvidence


def evidence(initiative: Initiative, **fields) -> SocialValueEvidence:
    record = SocialValueEvidence(initiative=initiative, **fields)
    record.full_clean()
    return actions.save_evidence(record, acting_user=None)


@pytest.fixture
def assessed(leiden) -> Initiative:
    evidence(leiden, method="sroi", year=2023, result="Elke geïnvesteerde euro levert €\u00a03,40 op\u2028aan waarde.",
             figure=Decimal("3.40"), assessed_by="Hogeschool Leiden",
             report_url="https://linde.example/sroi-2023.pdf")
    evidence(leiden, method="mkba", year=2025, result="Minder eenzaamheid en zorgkosten in de wijk.",
             figure=Decimal("125000.00"))
    evidence(leiden, method="eigen-meting", year=2024, result="Tachtig bezoekers per week.")
    return Initiative.objects.get(pk=leiden.pk)


def test_the_api_document_holds_the_evidence_newest_first(client: Client, assessed):
    document = client.get(f"/api/v1/initiatives/{assessed.pk}").json()

    assert document["socialValueEvidence"] == [
        {"year": 2025, "method": "mkba", "result": "Minder eenzaamheid en zorgkosten in de wijk.",
         "figure": 125000.0, "assessedBy": "", "reportUrl": ""},
        {"year": 2024, "method": "eigen-meting", "result": "Tachtig bezoekers per week.", "figure": None,
         "assessedBy": "", "reportUrl": ""},
        {"year": 2023, "method": "sroi", "result": "Elke geïnvesteerde euro levert €\u00a03,40 op\u2028aan waarde.",
         "figure": 3.4, "assessedBy": "Hogeschool Leiden", "reportUrl": "https://linde.example/sroi-2023.pdf"}]
    assert list(document)[-2:] == ["yearlyFigures", "socialValueEvidence"]  # added after the record's members


def test_the_api_document_is_byte_for_byte_what_the_detail_serializer_makes(client: Client, assessed):
    """The prepared document with the evidence spliced in, a line separator in a result included."""
    request = Request(APIRequestFactory().get("/api/v1/initiatives"))
    made = JSONRenderer().render(InitiativeDetailSerializer(assessed, context={"request": request}).data)

    served = client.get(f"/api/v1/initiatives/{assessed.pk}").content

    assert served == made
    assert b"\\u2028" in served and "\u2028".encode() not in served


def test_the_openapi_document_describes_the_evidence(client: Client, db):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    detail = schema["InitiativeDetail"]["properties"]["socialValueEvidence"]
    assert detail["type"] == "array" and detail["readOnly"] is True
    assert set(schema["SocialValueEvidence"]["properties"]) == {"year", "method", "result", "figure", "assessedBy",
                                                                "reportUrl"}
    method = schema["SocialValueEvidence"]["properties"]["method"]
    method = schema[method["$ref"].rsplit("/", 1)[1]] if "$ref" in method else method  # an enum of its own
    assert method["enum"] == ["sroi", "mkba", "eigen-meting", "overig"]


def section(html: str) -> str:
    found = re.search(r'<section class="evidence".*?</section>', html, re.DOTALL)
    assert found is not None, "no evidence on the page"
    return found.group(0)


def text_of(html: str) -> list[str]:
    """The section's text, a line per heading, paragraph, term and description."""
    lines = re.findall(r"<(?:h2|h3|p|dt|dd)[^>]*>(.*?)</(?:h2|h3|p|dt|dd)>", html, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", "", line).split()) for line in lines]


def test_the_page_shows_the_evidence_newest_first(client: Client, assessed):
    html = section(client.get(f"/initiatieven/{assessed.slug}").content.decode())

    assert text_of(html) == [
        "Onderbouwing van maatschappelijke waarde",
        "Wat onderzoeken naar de maatschappelijke waarde van het initiatief vonden, zoals vastgelegd in het register.",
        "Maatschappelijke kosten-batenanalyse (MKBA), 2025", "Minder eenzaamheid en zorgkosten in de wijk.",
        "Cijfer", "€ 125.000 netto maatschappelijke waarde",
        "Eigen meting, 2024", "Tachtig bezoekers per week.",
        "Maatschappelijk rendement (SROI), 2023", "Elke geïnvesteerde euro levert € 3,40 op aan waarde.",
        "Cijfer", "€ 3,40 maatschappelijke waarde per geïnvesteerde euro",
        "Beoordeeld door", "Hogeschool Leiden",
        "Verslag", "Het verslag: maatschappelijk rendement (SROI), 2023"]
    assert ('<a class="utrecht-link utrecht-link--html-a" href="https://linde.example/sroi-2023.pdf" '
            'rel="nofollow noopener">'
            "Het verslag: maatschappelijk rendement (SROI), 2023</a>") in html


def test_the_page_shows_the_evidence_in_english(assessed):
    html = section(Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/initiatieven/{assessed.slug}").content.decode())

    lines = text_of(html)
    assert lines[0] == "Evidence of social value"
    assert "Social cost-benefit analysis (MKBA), 2025" in lines
    assert "€ 125,000 net social value" in lines
    assert "€ 3.40 of social value per euro invested" in lines


def test_the_page_follows_a_new_piece_of_evidence_at_once(client: Client, leiden):
    assert 'class="evidence"' not in client.get(f"/initiatieven/{leiden.slug}").content.decode()  # kept now

    evidence(leiden, method="overig", year=2024, result="Een buurtenquête.", figure=Decimal("7.5"))

    lines = text_of(section(client.get(f"/initiatieven/{leiden.slug}").content.decode()))
    assert lines[2:] == ["Overig, 2024", "Een buurtenquête.", "Cijfer", "7,50"]


def test_a_draft_shows_its_evidence_nowhere(client: Client, assessed):
    Initiative.objects.filter(pk=assessed.pk).update(publication_state=PublicationState.DRAFT)

    assert figures.evidence_document(assessed.pk) == [] and figures.public_evidence(assessed) == []
    assert client.get(f"/api/v1/initiatives/{assessed.pk}").status_code == 404
    assert client.get(f"/initiatieven/{assessed.slug}").status_code == 404
