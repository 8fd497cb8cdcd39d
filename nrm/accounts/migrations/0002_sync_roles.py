"""Write the roles defined in nrm/accounts/roles.py (later changes: `nrm sync_roles`)."""

from django.db import migrations

from nrm.accounts.roles import ROLE_DEFINITIONS


def sync(apps, schema_editor):  # type: ignore[no-untyped-def]
    RoleRecord = apps.get_model("accounts", "RoleRecord")
    for role, d in ROLE_DEFINITIONS.items():
        RoleRecord.objects.update_or_create(
            name=str(role),
            defaults={"label": d.label, "description": d.description,
                      "requires_second_factor": d.requires_second_factor},
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
