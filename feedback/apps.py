from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Problems residents report with a page, kept for the portal's editors."""

    name = "feedback"
    verbose_name = "Feedback from the public"
