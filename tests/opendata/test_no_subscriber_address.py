"""A subscriber's address (and a webhook's address and secret) is never public: not on the site, not
in the API, not in a download or a snapshot."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import Client

from opendata.snapshots import export_snapshot
from registry import actions
from registry.models import Frequency, Subscription
from tests.conftest import LEIDEN, make

ADDRESS = "geheime-lezer@abonnee.example"
HOOK = "https://93.184.215.14/geheime-ontvanger"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_no_subscriber_or_webhook_address_in_any_output(client: Client, db, tmp_path: Path):
    leiden = make("Buurtkamer De Linde", LEIDEN)
    subscription = Subscription.objects.create(email=ADDRESS, municipality=leiden.municipality,
                                               frequency=Frequency.DAILY)
    actions.confirm_subscription(subscription, acting_user=None)
    owner = get_user_model().objects.create_user("ontwikkelaar", email="ontwikkelaar@abonnee.example")
    webhook = actions.register_webhook(url=HOOK, filter={}, acting_user=owner)
    make("Repair Café Leiden", LEIDEN)

    outputs = b"".join(path.read_bytes() for path in export_snapshot(tmp_path, datetime.date.today()).iterdir())
    for address in ["/opendata/initiatives.csv", "/opendata/partnerships.csv", "/opendata/initiatives.geojson",
                    "/opendata/initiatives.jsonld", "/opendata/initiatives.gpkg", "/opendata/datapackage.json",
                    "/opendata/catalog.jsonld", "/opendata/catalog.ttl", "/opendata",
                    "/api/v1/initiatives", f"/api/v1/initiatives/{leiden.pk}", "/api/v1/changes",
                    "/api/v1/initiatives/map", "/api/v1/stats", "/api/v1/municipalities/GM0546",
                    "/api/v1/openapi.json", "/api/v1/webhooks", "/", "/initiatieven", "/gebieden/GM0546",
                    f"/initiatieven/{leiden.slug}", "/volgen", "/ogc/v1/collections/initiatives/items"]:
        response = client.get(address)
        assert response.status_code in (200, 401), (address, response.status_code)
        outputs += body(response)

    assert b"Buurtkamer De Linde" in outputs and b"Repair Caf" in outputs  # the outputs hold the records
    for secret in [ADDRESS, "abonnee.example", HOOK, "geheime-ontvanger", webhook.secret]:
        assert secret.encode() not in outputs, secret
