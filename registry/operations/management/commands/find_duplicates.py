from typing import Any

from django.core.management.base import BaseCommand

from registry import duplicates
from registry.models import DuplicateCandidate, DuplicateDecision


class Command(BaseCommand):
    help = (f"Look for possible duplicates across the whole register (pairs that score at least "
            f"{duplicates.MIN_SCORE:.0%} on identifiers, names and distance): new pairs join the review in the "
            "admin; open pairs take their new score; pairs already decided keep their decision. Changes no record.")

    def handle(self, *args: Any, **options: Any) -> str:
        found = duplicates.find_all()
        waiting = DuplicateCandidate.objects.filter(decision=DuplicateDecision.OPEN).count()
        return f"{found} new possible duplicates; {waiting} wait for review."
