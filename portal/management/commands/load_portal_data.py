from django.core.management.base import BaseCommand

from portal.services import load_portal_data


class Command(BaseCommand):
    help = (
        "Load the portal's shipped data (fixtures/) into the database. Safe to run again: "
        "records edited by a person in the admin are never overwritten."
    )

    def handle(self, *args, **options) -> None:
        report = load_portal_data()
        for name, counts in sorted(report.counts.items()):
            summary = ", ".join(f"{counts[o]} {o}" for o in ("created", "updated", "unchanged", "kept") if counts[o])
            self.stdout.write(f"{name}: {summary}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {report.total('created')} created, {report.total('updated')} updated, "
                f"{report.total('kept')} kept as edited by people."
            )
        )
