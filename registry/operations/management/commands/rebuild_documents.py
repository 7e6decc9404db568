"""Prepare every initiative's public documents again (registry.documents), set-based: after a
change of the documents' shape, or of data written around registry.actions. Only documents that
differ from a fresh build are written."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from registry import documents
from registry.models import Initiative


class Command(BaseCommand):
    help = "Prepare every initiative's public documents again (only those that differ are written)."

    def handle(self, *args: Any, **options: Any) -> str:
        with transaction.atomic():
            prepared = documents.prepare()
            checked = Initiative.objects.count()
        return f"{checked} documents checked; {len(prepared)} prepared again."
