"""The children's services role (safeguarding notifications and support of the children referred
to a local authority or trust): write it, with every other role, from nrm/accounts/roles.py."""

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
    dependencies = [("accounts", "0003_links_and_rate_events")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
