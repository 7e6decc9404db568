"""The indexes the models declare are the ones PostgreSQL has."""

from __future__ import annotations

from django.apps import apps
from django.db import connection


def test_every_partial_index_the_models_declare_is_partial_in_the_database(db):
    """Django's PostGIS schema editor writes the index of one geometry field its own way and leaves a
    condition out: the published initiatives' box index was a second whole copy of the spatial index."""
    declared = {index.name for app in ("geo", "registry") for model in apps.get_app_config(app).get_models()
                for index in model._meta.indexes if index.condition is not None}
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [sorted(declared)])
        found = dict(cursor.fetchall())

    assert "published_location" in declared and set(found) == declared
    assert sorted(name for name, definition in found.items() if " WHERE " not in definition) == []
