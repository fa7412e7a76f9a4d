from django.apps import AppConfig


class RectificationConfig(AppConfig):
    """The three lists (问题清单、责任清单、整改清单) and the rectification ledger (整改台账)."""

    name = "shuzhi.rectification"
    verbose_name = "问题整改"

    def ready(self) -> None:
        from shuzhi.core.bulk import jobs

        from . import signals  # noqa: F401  (keeps problem paths in step with unit moves)
        from .ledger_import.jobs import LedgerImporter

        # The ledger import is a plug-in of the shared import-job runner.
        jobs.register(LedgerImporter())
