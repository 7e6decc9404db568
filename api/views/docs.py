"""The API's documentation page (Swagger UI from drf-spectacular's sidecar files)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from drf_spectacular.views import SpectacularSwaggerView

from config.csp import trust_inline_blocks


class DocumentationView(SpectacularSwaggerView):
    """drf-spectacular's page with a template of our own (templates/api/docs.html): the page's
    language, a way back to the site, and a style sheet that keeps it within a phone's width.
    Its start-up script is written inline: it holds the schema's address and the UI's settings,
    nothing a visitor wrote, so the policy allows it by hash (config.csp)."""

    template_name = "api/docs.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)
        assert isinstance(response, SimpleTemplateResponse), "DRF answers with a Response, errors too"
        response.render()
        trust_inline_blocks(response.content.decode())
        return response
