from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Synthetic load data and benchmarks. Installed for development, tests and the bench, never in
    production settings."""

    name = "bench"
    verbose_name = "Bench"
