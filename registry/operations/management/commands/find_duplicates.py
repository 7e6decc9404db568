from typing import Any

from django.core.management.base import BaseCommand

from registry import duplicates
from registry.models import DuplicateCandidate, DuplicateDecision


class Command(BaseCommand):
    help = (f"Look for possible duplicates across the whole register (names at least "
            f"{duplicates.NAME_SIMILARITY:.0%} alike within {duplicates.DISTANCE_M} m): new pairs join the review "
            "in the admin; pairs already decided keep their decision. Changes no record.")

    def handle(self, *args: Any, **options: Any) -> str:
        found = duplicates.find_all()
        waiting = DuplicateCandidate.objects.filter(decision=DuplicateDecision.OPEN).count()
        return f"{found} new possible duplicates; {waiting} wait for review."
