from django.apps import AppConfig


class OrgsConfig(AppConfig):
    """The organisation tree, unit types, people and their posts."""

    name = "shuzhi.orgs"
    verbose_name = "组织"

    def ready(self) -> None:
        # The unit and post imports are plug-ins of the shared import-job runner.
        from shuzhi.core.bulk import jobs
        from shuzhi.orgs.imports.posts import PostImporter
        from shuzhi.orgs.imports.units.jobs import UnitImporter
        from shuzhi.orgs.tree import selectors

        jobs.register(UnitImporter())
        jobs.register(PostImporter())
        selectors.register_audit_locators()
