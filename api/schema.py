"""OpenAPI post-processing: every operation documents its problem+json error responses."""

from __future__ import annotations

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
    "401": "The token is missing or not valid (writes only).",
    "403": "Not allowed for this user.",
    "404": "No such resource.",
    "405": "Method not allowed.",
    "406": "The Accept header asks for a format this resource does not give.",
    "415": "The body is not application/json.",
    "429": "Too many requests: wait the seconds in Retry-After.",
    "500": "An error on our side.",
}


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                response.setdefault("headers", {}).update(API_VERSION_HEADER)
            for status, description in ERRORS.items():
                if status in responses:
                    continue
                response = {"description": description, "headers": dict(API_VERSION_HEADER),
                            "content": {"application/problem+json": {"schema": reference}}}
                if status == "429":
                    response["headers"]["Retry-After"] = {"schema": {"type": "integer"},
                                                          "description": "Seconds to wait."}
                responses[status] = response
    return result
