"""Ship 领导调研走访 as a built-in ledger source: problems found on a leader's visit are
recorded with it, by leaders who cannot add sources themselves."""

from django.db import migrations

CODE, NAME = "visit", "领导调研走访"


def add_source(apps, schema_editor):
    ProblemSource = apps.get_model("rectification", "ProblemSource")
    existing = ProblemSource.objects.filter(name=NAME).first()
    if existing is not None:
        ProblemSource.objects.filter(pk=existing.pk).update(code=CODE, builtin=True)
        return
    ProblemSource.objects.create(code=CODE, name=NAME, sort_order=120, builtin=True)


def remove_source(apps, schema_editor):
    apps.get_model("rectification", "ProblemSource").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("field", "0001_initial"), ("rectification", "0005_results_source")]
    operations = [migrations.RunPython(add_source, remove_source)]
