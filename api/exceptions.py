"""Errors as RFC 9457 problem documents (application/problem+json), as the Dutch API rules ask."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_TYPE = "application/problem+json"


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def problem(status: int, detail: str, *, instance: str = "", **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
                                "detail": detail}
    if instance:
        document["instance"] = instance
    document.update(extra)
    return document


def invalid_params(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error structure as a flat list of {name, reason}, named as the client sent them."""
    params: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            params.extend(invalid_params(value, "" if name == "non_field_errors" else name))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and not isinstance(value, exceptions.ErrorDetail):
                params.extend(invalid_params(value, f"{prefix}[{index}]" if prefix else str(index)))
            else:
                params.append({"name": prefix or "body", "reason": str(value)})
    else:
        params.append({"name": prefix or "body", "reason": str(detail)})
    return params


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: handled by server_error below, logged by Django
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, exceptions.ValidationError):
        params = invalid_params(exc.detail)
        names = ", ".join(dict.fromkeys(p["name"] for p in params))
        document = problem(400, _("Invalid input: %(names)s.") % {"names": names}, instance=instance,
                           invalidParams=params)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        document = problem(response.status_code, str(detail), instance=instance)
    response.data = document
    response.content_type = PROBLEM_TYPE
    return response


def problem_response(request: HttpRequest, status: int, detail: str) -> JsonResponse:
    """A problem document about this request, outside DRF (URL handlers, middleware)."""
    return JsonResponse(problem(status, detail, instance=request.path), status=status, content_type=PROBLEM_TYPE)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(request, 404, _("There is no resource at this address."))


def api_server_error(request: HttpRequest) -> JsonResponse:
    return problem_response(request, 500, _("Something went wrong on our side; it has been logged."))
