"""The API's documentation page (Swagger UI from drf-spectacular's sidecar files)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from drf_spectacular.views import SpectacularSwaggerView

from config.csp import trust_inline_blocks


class DocumentationView(SpectacularSwaggerView):
    """drf-spectacular's page writes its start-up script and a style block inline. They hold the
    schema's address and the UI's settings, nothing a visitor wrote, so the policy allows them
    by hash (config.csp)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)
        assert isinstance(response, SimpleTemplateResponse), "DRF answers with a Response, errors too"
        response.render()
        trust_inline_blocks(response.content.decode())
        return response
