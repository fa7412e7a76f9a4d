"""Ship 考核结果运用 as a built-in source: confirming grades creates rectification items from it,
and an organiser confirming grades cannot add sources (only administrators can)."""

from django.db import migrations

CODE, NAME = "assessment", "考核结果运用"


def add_source(apps, schema_editor):
    ProblemSource = apps.get_model("rectification", "ProblemSource")
    existing = ProblemSource.objects.filter(name=NAME).first()
    if existing is not None:
        ProblemSource.objects.filter(pk=existing.pk).update(code=CODE, builtin=True)
        return
    ProblemSource.objects.create(code=CODE, name=NAME, sort_order=110, builtin=True)


def remove_source(apps, schema_editor):
    apps.get_model("rectification", "ProblemSource").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("rectification", "0004_ledger_indexes")]
    operations = [migrations.RunPython(add_source, remove_source)]
