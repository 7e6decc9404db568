"""OpenAPI post-processing: every operation documents its problem+json error responses."""

from __future__ import annotations

import copy
from typing import Any

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI for the kind of problem (`about:blank`: see status)."},
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "instance": {"type": "string", "description": "The path that was asked for."},
        "invalidParams": {
            "type": "array",
            "description": "Each bad parameter or field, by the name the client used.",
            "items": {
                "type": "object",
                "required": ["name", "reason"],
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}

API_VERSION_HEADER = {
    "API-Version": {"description": "The API's version (semver).", "schema": {"type": "string"}},
}

ERRORS = {
    "400": "Invalid parameters or body (see invalidParams).",
    "401": "The token is missing or not valid (writes, and your webhooks).",
    "403": "Not allowed for this user.",
    "404": "No such resource.",
    "405": "Method not allowed.",
    "406": "The Accept header asks for a format this resource does not give.",
    "409": "The record is still in use (a partner with partnerships).",
    "415": "The body is not application/json.",
    "429": "Too many requests: wait the seconds in Retry-After.",
    "500": "An error on our side.",
}


# Reading these needs a token too (a developer's own webhooks).
PRIVATE_PATHS = ("/api/v1/webhooks",)


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Complete what drf-spectacular cannot know: problem responses, GeoJSON shapes, open reads,
    and the bounds of parameters checked by hand."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete", "head", "options"}:
                continue
            if method == "get" and not path.startswith(PRIVATE_PATHS):
                operation["security"] = [*operation.get("security", []), {}]  # reading needs no token
                describe_geojson(operation, schemas)
            for parameter in operation.get("parameters", []):
                parameter["schema"].update(PARAMETER_BOUNDS.get(parameter["name"], {}))
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                response.setdefault("headers", {}).update(API_VERSION_HEADER)
            for status, description in ERRORS.items():
                if status in responses:
                    continue
                response = {"description": description, "headers": dict(API_VERSION_HEADER),
                            "content": {"application/problem+json": {"schema": reference}}}
                if status == "409" and method != "delete":
                    continue
                if status == "429":
                    response["headers"]["Retry-After"] = {"schema": {"type": "integer"},
                                                          "description": "Seconds to wait."}
                responses[status] = response
    return result


# Parameters whose bounds the code checks by hand (pagination) or that django-filter does not export.
PARAMETER_BOUNDS: dict[str, dict[str, int]] = {
    "page": {"minimum": 1},
    "pageSize": {"minimum": 1, "maximum": 1000},
    "radius": {"minimum": 1, "maximum": 300_000},
    "foundedFrom": {"minimum": 1800, "maximum": 2100},
    "foundedTo": {"minimum": 1800, "maximum": 2100},
}

# What a record's JSON has that its GeoJSON Feature carries outside `properties`.
FEATURE_MEMBERS = {"id", "code", "location", "geometry"}
# What only the JSON detail document has (registry.documents assembles them into the detail record,
# not into the Feature): a Feature's properties do not promise them.
RECORD_ONLY_MEMBERS = {"yearlyFigures", "socialValueEvidence"}


def properties_component(name: str, schemas: dict[str, Any]) -> dict[str, str]:
    """A copy of a record's schema without the members a Feature lifts out of `properties`."""
    target = f"{name}FeatureProperties"
    if target not in schemas:
        component = copy.deepcopy(schemas[name])
        for member in (FEATURE_MEMBERS | RECORD_ONLY_MEMBERS) - ({"code"} if name.startswith("Initiative") else set()):
            component.get("properties", {}).pop(member, None)
            if member in component.get("required", []):
                component["required"].remove(member)
        schemas[target] = component
    return {"$ref": f"#/components/schemas/{target}"}


def feature_schema(name: str, schemas: dict[str, Any]) -> dict[str, Any]:
    id_type = {"type": "integer"} if name.startswith("Initiative") else {"type": "string"}
    return {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": id_type,
            "geometry": {"type": "object", "description": "RFC 7946 geometry, WGS84 lon/lat.",
                         "required": ["type", "coordinates"]},
            "properties": properties_component(name, schemas),
        },
    }


def describe_geojson(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    if "application/geo+json" not in content or "application/json" not in content:
        return  # no GeoJSON, or GeoJSON only, described by the view itself
    schema = content["application/json"]["schema"]
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    if name.startswith("Paginated"):
        item = schemas[name]["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[-1]
        geojson = {
            "type": "object",
            "required": ["type", "numberMatched", "numberReturned", "links", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "numberMatched": {"type": "integer"},
                "numberReturned": {"type": "integer"},
                "links": {"type": "array", "items": {"type": "object", "required": ["rel", "href"]}},
                "features": {"type": "array", "items": feature_schema(item, schemas)},
            },
        }
    elif schema.get("type") == "array":
        item = schema["items"]["$ref"].rsplit("/", 1)[-1]
        geojson = {"type": "object", "required": ["type", "features"],
                   "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                                  "features": {"type": "array", "items": feature_schema(item, schemas)}}}
    else:
        geojson = feature_schema(name, schemas)
    content["application/geo+json"] = {"schema": geojson}
