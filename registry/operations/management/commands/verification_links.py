import io
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from registry import verification
from registry.models import PublicationState
from registry.operations.acting import acting_user, add_acting_argument
from registry.roles import access_for


class Command(BaseCommand):
    help = ("Make a verification link for every record (not archived) in the region of the user named by "
            "--as: written as CSV (to --output, or standard output), and with --send e-mailed to each "
            "organisation's public address. Administrators and regional editors only.")

    def add_arguments(self, parser: CommandParser) -> None:
        add_acting_argument(parser)
        parser.add_argument("--stale", action="store_true",
                            help="Only running records not verified within STALE_AFTER_MONTHS, or never.")
        parser.add_argument("--send", action="store_true",
                            help="E-mail each initiative its link (records without a public address are listed).")
        parser.add_argument("--output", metavar="FILE.csv", help="Write the links here instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> str:
        access = access_for(acting_user(options["acting_username"], writes=True))
        queryset = (access.initiatives().exclude(publication_state=PublicationState.ARCHIVED)
                    .select_related("municipality", "province").order_by("name", "pk"))
        if options["stale"]:
            queryset = queryset.stale()
        initiatives = list(queryset)

        summary = []
        to_stdout = not options["output"] and not options["send"]
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                verification.write_csv(initiatives, out)
            summary.append(f"{len(initiatives)} links written to {options['output']}")
        elif to_stdout:
            text = io.StringIO()
            verification.write_csv(initiatives, text)
            self.stdout.write(text.getvalue(), ending="")
            summary.append(f"{len(initiatives)} links written")
        if options["send"]:
            result = verification.send_links(initiatives)
            summary.append(f"{len(result.sent)} e-mailed")
            if result.without_email:
                summary.append(f"{len(result.without_email)} without a public e-mail address: "
                               + ", ".join(f"{i.name} (#{i.pk})" for i in result.without_email))
            if result.failed:
                summary.append(f"{len(result.failed)} failed: " + ", ".join(f"#{i.pk}" for i in result.failed))
        line = f"{'; '.join(summary)} ({access.describe_region()}{', stale only' if options['stale'] else ''})."
        if to_stdout:  # standard output holds the CSV alone
            self.stderr.write(line)
            return ""
        return line
