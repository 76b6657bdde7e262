from django.core.management.base import BaseCommand, CommandError

from portal.services import LoadError, load_portal_data

OUTCOMES = ("created", "updated", "unchanged", "withdrawn", "kept")


class Command(BaseCommand):
    help = (
        "Load the portal's shipped data (fixtures/) into the database. Safe to run again: "
        "records edited by a person in the admin are never overwritten."
    )

    def handle(self, *args, **options) -> None:
        try:
            report = load_portal_data()
        except LoadError as error:
            raise CommandError(f"Nothing was loaded: {error}") from error
        for name, counts in sorted(report.counts.items()):
            summary = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o])
            self.stdout.write(f"{name}: {summary}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {report.total('created')} created, {report.total('updated')} updated, "
                f"{report.total('withdrawn')} withdrawn, {report.total('kept')} kept as edited by people."
            )
        )
