from django.core.management.base import BaseCommand
from django.http import QueryDict

from datasets import prepared
from datasets.definitions import DATASETS
from datasets.query import build_export


class Command(BaseCommand):
    help = (
        "Build the prepared CSV of every dataset for the data as it is now (datasets/prepared.py), so that the "
        "first download after a bulk load is a stored file. Files already built for this data are left alone."
    )

    def handle(self, *args, **options) -> None:
        for dataset in DATASETS.values():
            built = prepared.prepare_csv(build_export(dataset, QueryDict()))
            self.stdout.write(f"{dataset.name}: {'built' if built else 'already prepared'}")
