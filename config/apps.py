from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project's own settings, as an app only so that their checks run (config/checks.py)."""

    name = "config"
    label = "project"

    def ready(self) -> None:
        import config.checks  # noqa: F401  # registers the checks
