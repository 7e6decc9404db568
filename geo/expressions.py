"""Spatial SQL expressions that are about no app's models: distances in metres on the spheroid."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast


def as_geography(value: Point | Combinable) -> Cast:
    expression = models.Value(value, output_field=models.PointField(srid=4326)) if isinstance(value, Point) else value
    return Cast(expression, output_field=models.PointField(srid=4326, geography=True))


class DistanceMetres(models.Func):
    """Metres between two geographies (on the spheroid)."""

    function = "ST_Distance"
    output_field = models.FloatField()


class WithinMetres(models.Func):
    function = "ST_DWithin"
    output_field = models.BooleanField()
