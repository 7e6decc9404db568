"""The schema.org document of an initiative: an Organization with its Place, PostalAddress and
GeoCoordinates. The detail page carries it for search engines, the JSON-LD download one per
initiative."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def organisation(*, url: str, name: str, short_description: str, description: str, street: str,
                 house_number: str, postcode: str, place: str, latitude: float, longitude: float,
                 services: Sequence[str], website: str, founded_year: int | None,
                 identify: bool = False) -> dict[str, Any]:
    """`services`: their labels. `identify` adds an @id (in a graph of many organisations)."""
    document: dict[str, Any] = {
        "@type": "Organization",
        "name": name,
        "url": url,
        "description": short_description or description,
        "location": {
            "@type": "Place",
            "address": {"@type": "PostalAddress", "streetAddress": f"{street} {house_number}".strip(),
                        "postalCode": postcode, "addressLocality": place, "addressCountry": "NL"},
            "geo": {"@type": "GeoCoordinates", "latitude": round(latitude, 6), "longitude": round(longitude, 6)},
        },
        "knowsAbout": list(services),
    }
    if identify:
        document = {"@id": url, **document}
    if website:
        document["sameAs"] = website
    if founded_year:
        document["foundingDate"] = str(founded_year)
    return document
