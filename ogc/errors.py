"""Errors as OGC API exceptions: an RFC 9457 problem document (what OGC API Common asks) that also
carries the OGC exception `code` (what OGC API Features Part 1's exception schema requires), and,
for a bad parameter, `invalidParams` with its name and the reason, as the REST API writes them."""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, JsonResponse

PROBLEM_TYPE = "application/problem+json"


class OgcError(Exception):
    status = 400
    code = "InvalidParameterValue"

    def __init__(self, detail: str, *, parameter: str | None = None, status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(detail)
        self.detail, self.parameter = detail, parameter
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def response(self, request: HttpRequest) -> JsonResponse:
        document: dict[str, object] = {
            "type": "about:blank", "title": HTTPStatus(self.status).phrase, "status": self.status,
            "detail": self.detail, "instance": request.path, "code": self.code}
        if self.parameter is not None:
            document["invalidParams"] = [{"name": self.parameter, "reason": self.detail}]
        return JsonResponse(document, status=self.status, content_type=PROBLEM_TYPE,
                            json_dumps_params={"ensure_ascii": False})


class NotFound(OgcError):
    status = 404
    code = "NotFound"


class NotAcceptable(OgcError):
    status = 406
    code = "NotAcceptable"
