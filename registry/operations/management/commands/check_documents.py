"""Find prepared documents that differ from a fresh build (missing, outdated, or of no initiative),
as after a write around registry.actions or a bug; with --repair, prepare them again. Meant to
run nightly; exits with an error when it found something and did not repair it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from registry import documents
from registry.models import InitiativeDocument


class Command(BaseCommand):
    help = "Compare every prepared document with a fresh build; --repair prepares the differing ones again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="Prepare the differing documents again.")

    def handle(self, *args: Any, repair: bool, **options: Any) -> str:
        with transaction.atomic():
            found = documents.stale_documents()
            total = sum(len(ids) for ids in found.values())
            if not total:
                return f"All {InitiativeDocument.objects.count()} documents are current."
            summary = (f"{total} documents differed from a fresh build ({len(found['missing'])} missing, "
                       f"{len(found['outdated'])} outdated, {len(found['orphaned'])} orphaned)")
            if not repair:
                raise CommandError(f"{summary}; run with --repair to prepare them again.")
            InitiativeDocument.objects.filter(pk__in=found["orphaned"]).delete()
            documents.prepare(found["missing"] + found["outdated"])
        return f"{summary}; repaired."
