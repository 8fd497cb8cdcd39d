"""Local authorities and Northern Ireland's trusts run children's services: reload the
organisations file, which now lets their members hold the childrens_services role."""

from django.db import migrations

from nrm.reference.loader import reload_operation


class Migration(migrations.Migration):
    dependencies = [("reference", "0003_support_providers_in_local_authorities")]
    operations = [reload_operation()]
