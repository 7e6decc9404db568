"""CQL2 filters (OGC API Features Part 3): `filter` in cql2-text or cql2-json, parsed by the `cql2`
library (never by hand) into CQL2-JSON, which this module turns into a Q object on the collection's
queryables only. The Q filters the collection's public queryset, so a filter can narrow what is
published but never reach a draft, nor a column that is not a queryable (personal data is none).

What is taken (and declared in /conformance): basic CQL2 (comparisons, IS NULL, AND, OR, NOT,
dates and timestamps), the advanced comparison operators (LIKE, BETWEEN, IN) and the basic
spatial function S_INTERSECTS with any GeoJSON geometry or a BBOX, in `filter-crs` (default CRS84,
in that CRS's axis order). Anything else (another function, arithmetic, comparing two properties)
is refused with a 400 that says what and, for cql2-text, where.

An expression is at most MAX_LENGTH characters, MAX_DEPTH levels deep and MAX_NODES parts: a
deeper one is refused before it is parsed, so neither parser can be made to recurse without end.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cql2
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db.models import Model, Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from geo.crs import CRS, BoxError, box_polygon

MAX_LENGTH = 4000
MAX_DEPTH = 20
MAX_NODES = 200
LANGUAGES = ("cql2-text", "cql2-json")


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name: its JSON schema type and the lookup it filters on."""

    name: str
    type: str  # "string", "integer", "date", "timestamp" or "geometry"
    lookup: str  # a Django lookup path from the collection's model
    title: Promise
    many: bool = False  # a to-many relation: `=` and IN mean "has one that is"
    codes: Callable[[], list[str]] | None = None  # the values it takes, for the schema
    geometry: str = ""  # the geometry's type, as queryables name it (point, multipolygon)
    description: Promise | None = None


class FilterError(ValueError):
    """What is wrong with a filter, said to the client (400)."""


def _depth(text: str) -> int:
    """The deepest nesting of brackets outside quoted strings, counted before any parser sees it."""
    depth = deepest = 0
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def parse(text: str, language: str) -> Any:
    """The expression as CQL2-JSON (a tree of dicts and lists), or a FilterError."""
    if len(text) > MAX_LENGTH:
        raise FilterError(_("The filter is %(length)d characters long; at most %(max)d are taken.")
                          % {"length": len(text), "max": MAX_LENGTH})
    if _depth(text) > MAX_DEPTH * 2:  # cql2-json nests two brackets a level
        raise FilterError(_("The filter nests deeper than %(max)d levels.") % {"max": MAX_DEPTH})
    try:
        expression = cql2.parse_text(text) if language == "cql2-text" else cql2.parse_json(text)
        tree = expression.to_json()
        if language == "cql2-json":
            expression.validate()
    except cql2.ParseError as problem:
        raise FilterError(_parse_error(str(problem), language)) from None
    except cql2.ValidationError as problem:
        raise FilterError(_("The filter is not valid CQL2-JSON: %(reason)s") % {
            "reason": str(problem).splitlines()[0]}) from None
    except (ValueError, TypeError) as problem:  # JSON that does not load, a value the library refuses
        raise FilterError(_("The filter does not parse: %(reason)s") % {"reason": str(problem).splitlines()[0]}
                          ) from None
    depth, nodes = _measure(tree)
    if depth > MAX_DEPTH:
        raise FilterError(_("The filter nests deeper than %(max)d levels.") % {"max": MAX_DEPTH})
    if nodes > MAX_NODES:
        raise FilterError(_("The filter has %(nodes)d parts; at most %(max)d are taken.")
                          % {"nodes": nodes, "max": MAX_NODES})
    return tree


_POSITION = re.compile(r"-->\s*(\d+):(\d+)")
_EXPECTED = re.compile(r"=\s*(expected .*?)\s*$", re.DOTALL)


def _parse_error(message: str, language: str) -> str:
    """cql2's parser reports where it stopped (`--> line:column`) and what it expected there."""
    position, expected = _POSITION.search(message), _EXPECTED.search(message)
    if language == "cql2-text" and position:
        reason = " ".join(expected.group(1).split()) if expected else _("unexpected text")
        return _("The filter does not parse at line %(line)s, column %(column)s: %(reason)s.") % {
            "line": position.group(1), "column": position.group(2), "reason": reason}
    return _("The filter does not parse: %(reason)s") % {"reason": " ".join(message.split())}


def _measure(tree: Any, level: int = 1) -> tuple[int, int]:
    if isinstance(tree, dict):
        children = tree.get("args", [])
        children = children if isinstance(children, list) else [children]
    elif isinstance(tree, list):
        children = tree
    else:
        return level, 1
    depth, nodes = level, 1
    for child in children:
        child_depth, child_nodes = _measure(child, level + 1)
        depth, nodes = max(depth, child_depth), nodes + child_nodes
    return depth, nodes


COMPARISONS = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
MIRRORED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class Translator:
    """CQL2-JSON to a Q object on the collection's model, by its queryables."""

    def __init__(self, model: type[Model], queryables: dict[str, Queryable], crs: CRS, text: str = "") -> None:
        self.model, self.queryables, self.crs, self.text = model, queryables, crs, text

    def where(self, name: str) -> str:
        """Where a name stands in a cql2-text expression, for the message."""
        found = re.search(rf'(?<![\w"]){re.escape(name)}(?![\w"])|"{re.escape(name)}"', self.text, re.IGNORECASE)
        if not self.text or found is None:
            return ""
        return _(" (column %(column)d)") % {"column": found.start() + 1}

    def translate(self, node: Any) -> Q:
        if node is True:
            return Q(pk__isnull=False)
        if node is False:
            return Q(pk__isnull=True)
        if not isinstance(node, dict) or "op" not in node:
            raise FilterError(_("Expected a condition (such as name = 'x'), not %(value)s.")
                              % {"value": json.dumps(node, ensure_ascii=False)[:80]})
        op, args = str(node["op"]).lower(), node.get("args", [])
        if not isinstance(args, list):
            raise FilterError(_("The arguments of %(op)s are not a list.") % {"op": op})
        if op in ("and", "or"):
            if len(args) < 2:
                raise FilterError(_("%(op)s needs at least two conditions.") % {"op": op.upper()})
            combined = self.translate(args[0])
            for arg in args[1:]:
                combined = (combined & self.translate(arg)) if op == "and" else (combined | self.translate(arg))
            return combined
        if op == "not":
            self._count(op, args, 1)
            return ~self.translate(args[0])
        if op in MIRRORED:
            return self.compare(op, args)
        if op == "isnull":
            self._count("IS NULL", args, 1)
            queryable = self.property(args[0])
            if queryable.many or queryable.type == "geometry":
                raise FilterError(_("%(name)s cannot be null.") % {"name": queryable.name})
            return Q(**{f"{queryable.lookup}__isnull": True})
        if op == "like":
            self._count("LIKE", args, 2)
            queryable = self.property(args[0], types=("string",))
            pattern = args[1]
            if not isinstance(pattern, str):
                raise FilterError(_("LIKE takes a text pattern, such as 'Buurt%'."))
            return self.lookup(queryable, "regex", _like_regex(pattern))
        if op == "between":
            self._count("BETWEEN", args, 3)
            queryable = self.property(args[0], types=("integer", "date", "timestamp"))
            low, high = self.literal(queryable, args[1]), self.literal(queryable, args[2])
            return self.lookup(queryable, "gte", low) & self.lookup(queryable, "lte", high)
        if op == "in":
            self._count("IN", args, 2)
            queryable = self.property(args[0])
            if not isinstance(args[1], list) or not args[1]:
                raise FilterError(_("IN takes a list of values, such as ('a', 'b')."))
            return self.lookup(queryable, "in", [self.literal(queryable, value) for value in args[1]])
        if op == "s_intersects":
            self._count("S_INTERSECTS", args, 2)
            first, second = args
            if isinstance(second, dict) and "property" in second:
                first, second = second, first
            queryable = self.property(first, types=("geometry",))
            return Q(**{f"{queryable.lookup}__intersects": self.geometry(second)})
        raise self.unsupported(str(node["op"]))

    def _count(self, op: str, args: list[Any], count: int) -> None:
        if len(args) != count:
            raise FilterError(_("%(op)s takes %(count)d arguments.") % {"op": op, "count": count})

    def compare(self, op: str, args: list[Any]) -> Q:
        self._count(op, args, 2)
        left, right = args
        if isinstance(right, dict) and "property" in right:
            if isinstance(left, dict) and "property" in left:
                raise FilterError(_("Compare a property with a value, not with another property."))
            left, right, op = right, left, MIRRORED[op]
        queryable = self.property(left, types=("string", "integer", "date", "timestamp"))
        value = self.literal(queryable, right)
        if queryable.many and op not in ("=", "<>"):
            raise FilterError(_("%(name)s is a list: use = or IN (an initiative with any of them).")
                              % {"name": queryable.name})
        if op == "<>":
            return ~self.lookup(queryable, "exact", value)
        return self.lookup(queryable, COMPARISONS[op], value)

    def lookup(self, queryable: Queryable, lookup: str, value: Any) -> Q:
        if lookup in ("exact", "in") and queryable.lookup.endswith("__code"):
            return self.by_code(queryable, value if lookup == "in" else [value])
        if queryable.many:
            # A subquery on the link table alone (as registry.filters does): no record repeated,
            # no DISTINCT, and no join back to the records' own table.
            relation, rest = queryable.lookup.split("__", 1)
            field = self.model._meta.get_field(relation)
            through = field.remote_field.through  # type: ignore[union-attr]  # a many-to-many field
            own, other = field.m2m_field_name(), field.m2m_reverse_field_name()  # type: ignore[union-attr]
            links = through._default_manager.filter(**{f"{other}__{rest}__{lookup}": value})
            return Q(pk__in=links.values(f"{own}_id"))
        return Q(**{f"{queryable.lookup}__{lookup}": value})

    def unsupported(self, op: str) -> FilterError:
        return FilterError(_("The function or operator %(op)s is not supported here; this API takes comparisons, "
                             "IS NULL, LIKE, BETWEEN, IN, AND, OR, NOT and S_INTERSECTS.%(where)s")
                           % {"op": op, "where": self.where(op)})

    def by_code(self, queryable: Queryable, codes: list[Any]) -> Q:
        """A code (kind, service, municipality, …) as the ids of its rows, looked up first, as the
        FilterSet's code filters do: with the ids as constants the planner can estimate the rows and
        join by hashing (ten times faster for a province and a service at 100,000 records than a
        join on the codes)."""
        relation = queryable.lookup.removesuffix("__code")
        field = self.model._meta.get_field(relation)
        ids = list(field.related_model._default_manager.filter(  # type: ignore[union-attr]  # a relation
            code__in=codes).values_list("pk", flat=True))
        if not ids:  # a code nobody has: nothing matches (and `__in=[]` would not compile in a count)
            return Q(pk__isnull=True)
        if queryable.many:
            through = field.remote_field.through  # type: ignore[union-attr]  # a many-to-many field
            own, other = field.m2m_field_name(), field.m2m_reverse_field_name()  # type: ignore[union-attr]
            return Q(pk__in=through._default_manager.filter(**{f"{other}_id__in": ids}).values(f"{own}_id"))
        return Q(**{f"{relation}_id__in": ids})

    def property(self, node: Any, types: tuple[str, ...] | None = None) -> Queryable:
        if isinstance(node, dict) and "op" in node and str(node["op"]).lower() not in MIRRORED:
            raise self.unsupported(str(node["op"]))
        if not isinstance(node, dict) or "property" not in node:
            raise FilterError(_("Expected a property on one side, such as name, not %(value)s.")
                              % {"value": json.dumps(node, ensure_ascii=False)[:80]})
        name = str(node["property"])
        queryable = self.queryables.get(name)
        if queryable is None:
            raise FilterError(_("Unknown property %(name)s%(where)s; the queryables are %(names)s.") % {
                "name": name, "where": self.where(name), "names": ", ".join(self.queryables)})
        if types is not None and queryable.type not in types:
            raise FilterError(_("%(name)s is a %(type)s and cannot be used so%(where)s.") % {
                "name": name, "type": queryable.type, "where": self.where(name)})
        return queryable

    def literal(self, queryable: Queryable, value: Any) -> Any:
        expected = {"string": _("text in single quotes"), "integer": _("a whole number"),
                    "date": _("DATE('2025-01-31')"), "timestamp": _("TIMESTAMP('2025-01-31T12:00:00Z')")}
        if isinstance(value, dict) and "op" in value:
            raise self.unsupported(str(value["op"]))
        problem = FilterError(_("%(name)s is compared with %(expected)s, not %(value)s.") % {
            "name": queryable.name, "expected": expected.get(queryable.type, queryable.type),
            "value": json.dumps(value, ensure_ascii=False)[:80]})
        if queryable.type == "string" and isinstance(value, str):
            if "\x00" in value:
                raise problem
            return value
        if queryable.type == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
            if float(value).is_integer() and abs(value) < 2**31:
                return int(value)
            raise problem
        try:
            if queryable.type == "date" and isinstance(value, dict) and set(value) == {"date"}:
                return datetime.date.fromisoformat(str(value["date"]))
            if queryable.type == "timestamp" and isinstance(value, dict) and set(value) == {"timestamp"}:
                moment = datetime.datetime.fromisoformat(str(value["timestamp"]).replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    raise problem
                return moment
        except ValueError:
            raise problem from None
        raise problem

    def geometry(self, node: Any) -> GEOSGeometry:
        """A geometry literal in filter-crs (its axis order), as GEOS in that CRS's SRID."""
        if isinstance(node, dict) and set(node) == {"bbox"} and isinstance(node["bbox"], list):
            try:
                return box_polygon([float(number) for number in node["bbox"]], self.crs)
            except (BoxError, TypeError, ValueError) as problem:
                raise FilterError(_("BBOX takes the lower corner, then the upper corner: %(reason)s.")
                                  % {"reason": problem}) from None
        if not isinstance(node, dict) or "type" not in node:
            raise FilterError(_("S_INTERSECTS takes a geometry, such as POINT(4.49 52.16) or "
                                "BBOX(4.4,52.1,4.6,52.2)."))
        literal = dict(node)
        if self.crs.latitude_first and "coordinates" in literal:
            literal["coordinates"] = _swapped(literal["coordinates"])
        try:
            geometry = GEOSGeometry(json.dumps(literal))
        except (GEOSException, ValueError, TypeError):
            raise FilterError(_("Not a geometry: %(value)s.") % {
                "value": json.dumps(node, ensure_ascii=False)[:120]}) from None
        if not geometry.valid:
            raise FilterError(_("The geometry is not valid: %(reason)s.") % {"reason": geometry.valid_reason})
        geometry.srid = self.crs.srid
        return geometry


def _swapped(coordinates: Any) -> Any:
    if isinstance(coordinates, list) and coordinates and all(isinstance(c, int | float) for c in coordinates):
        return [coordinates[1], coordinates[0], *coordinates[2:]]
    if isinstance(coordinates, list):
        return [_swapped(part) for part in coordinates]
    return coordinates


def _like_regex(pattern: str) -> str:
    """A CQL2 LIKE pattern (% any text, _ one character, \\ escapes) as an anchored regular expression."""
    parts, escaped = ["^"], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            if parts[-1] != ".*":  # one is enough: a run of them only makes the expression longer
                parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    if escaped:
        parts.append(re.escape("\\"))
    return "".join(parts) + "$"


def to_q(text: str, language: str, model: type[Model], queryables: dict[str, Queryable], crs: CRS) -> Q:
    tree = parse(text, language)
    return Translator(model, queryables, crs, text if language == "cql2-text" else "").translate(tree)


def schema(queryables: dict[str, Queryable], *, identifier: str, title: str) -> dict[str, Any]:
    """The queryables as a JSON Schema (Part 3, /req/queryables)."""
    properties: dict[str, Any] = {}
    for queryable in queryables.values():
        if queryable.type == "geometry":
            entry: dict[str, Any] = {"title": str(queryable.title), "format": f"geometry-{queryable.geometry}",
                                     "x-ogc-role": "primary-geometry"}
        elif queryable.type in ("date", "timestamp"):
            entry = {"title": str(queryable.title), "type": "string",
                     "format": "date" if queryable.type == "date" else "date-time"}
        else:
            entry = {"title": str(queryable.title), "type": queryable.type}
        if queryable.description:
            entry["description"] = str(queryable.description)
        if queryable.codes is not None:
            entry["enum"] = queryable.codes()
        properties[queryable.name] = entry
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": identifier, "type": "object",
            "title": title, "properties": properties, "additionalProperties": False}
