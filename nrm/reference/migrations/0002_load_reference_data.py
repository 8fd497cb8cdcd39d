"""Load the versioned reference data files (nrm/reference/data/*.csv)."""

from django.db import migrations

from nrm.reference.loader import reload_operation


class Migration(migrations.Migration):
    dependencies = [("reference", "0001_initial")]
    operations = [reload_operation()]
