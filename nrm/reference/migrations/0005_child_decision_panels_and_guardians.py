"""Children's decision panels (a new organisation type) and guardian services: reload the
organisations file, which now holds them (ADR 0028)."""

from django.db import migrations, models

from nrm.reference.loader import reload_operation


class Migration(migrations.Migration):

    dependencies = [
        ('reference', '0004_childrens_services_role'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organisation',
            name='organisation_type',
            field=models.CharField(choices=[('Government agency', 'Government agency'), ('Police', 'Police'), ('Local authority', 'Local authority'), ('NGO and third sector', 'NGO and third sector'), ('Health and social care', 'Health and social care'), ('Competent authority', 'Competent authority'), ('Assurance panel', 'Assurance panel'), ('Decision panel', 'Decision panel'), ('Support provider', 'Support provider'), ('Service team', 'Service team'), ('Other', 'Other')], max_length=40),
        ),
        reload_operation(),
    ]
