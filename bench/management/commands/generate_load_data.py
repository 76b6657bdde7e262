import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.synthetic import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_SEED,
    PER_SCALE,
    Plan,
    ProgressBar,
    SyntheticDataError,
    clear_synthetic_data,
    generate_synthetic_data,
    silent_progress,
    synthetic_counts,
)


class Command(BaseCommand):
    help = (
        "Add synthetic load data for benchmarks: slugs start with 'synthetic-', titles with '[Synthetic]'. "
        "Scale N adds N x ({}) to the shipped data. --clear removes only synthetic records.".format(
            ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in PER_SCALE.items())
        )
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, help="How much to add: 1 = 50 pilots, 100 = 5,000; 0.01 is fine.")
        parser.add_argument("--clear", action="store_true", help="Delete synthetic records first (or only).")
        parser.add_argument(
            "--force", action="store_true", help="Add data even though people have edited records in this database."
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same data).")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows per bulk insert.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args, scale: float | None, clear: bool, force: bool, seed: int, batch_size: int, **options):
        if scale is None and not clear:
            raise CommandError("Give --scale N to add synthetic data, or --clear to remove it.")
        if scale is not None and scale <= 0:
            raise CommandError("--scale must be greater than zero.")
        started = time.monotonic()
        if clear:
            deleted = clear_synthetic_data()
            summary = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in deleted.items())
            self.stdout.write(f"Removed synthetic records: {summary} ({time.monotonic() - started:.1f}s)")
        if scale is not None:
            self.generate(scale, force, seed, batch_size, options["no_progress"])
        # The first download after a bulk change would build the whole file while a visitor waits.
        started = time.monotonic()
        call_command("prepare_exports", stdout=self.stdout)
        self.stdout.write(f"Prepared the whole-dataset exports in {time.monotonic() - started:.1f}s")

    def generate(self, scale: float, force: bool, seed: int, batch_size: int, no_progress: bool) -> None:
        plan = Plan.for_scale(scale)

        def progress(label: str, total: int) -> ProgressBar:
            if no_progress:
                return silent_progress(label, total)
            return ProgressBar(label, total, stream=self.stderr._out)

        started = time.monotonic()
        try:
            added = generate_synthetic_data(plan, seed=seed, batch_size=batch_size, force=force, progress=progress)
        except SyntheticDataError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in added.items())
        self.stdout.write(
            self.style.SUCCESS(f"Added synthetic records at scale {scale:g}: {summary} in {elapsed:.1f}s")
        )
        self.stdout.write(f"Synthetic records now: {synthetic_counts()}")
