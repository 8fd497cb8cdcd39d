"""Local authorities and Northern Ireland's trusts provide children's support: reload the
organisations file, which now lets their members hold the support_provider role."""

from django.db import migrations

from nrm.reference.loader import reload_operation


class Migration(migrations.Migration):
    dependencies = [("reference", "0002_load_reference_data")]
    operations = [reload_operation()]
