from typing import Any

from django.core.management.base import BaseCommand

from registry.models import Initiative


class Command(BaseCommand):
    help = ("Place every initiative in its municipality and province from its point, in one set-based "
            "query (run after the boundaries were reloaded; load_areas does so itself).")

    def handle(self, *args: Any, **options: Any) -> str:
        changed = Initiative.objects.all().assign_areas()
        outside = Initiative.objects.filter(municipality__isnull=True).count()
        return f"{changed} initiatives changed area; {outside} lie outside every municipality."
