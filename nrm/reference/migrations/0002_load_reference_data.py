"""Load the versioned reference data files (nrm/reference/data/*.csv)."""

from django.db import migrations

from nrm.reference.loader import load_all


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    load_all(lambda name: apps.get_model("reference", name))


class Migration(migrations.Migration):
    dependencies = [("reference", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
