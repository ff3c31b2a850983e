"""Certificate numbers encrypted at rest, step 3 of 3: the plain column goes and uniqueness per type is
kept through the blind index. (Reversed, the plain column comes back empty and 0005 fills it.)"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0005_encrypt_numbers"),
    ]

    operations = [
        # A default first, so that going back can re-create the column on a table that has rows.
        migrations.AlterField(
            model_name="certificate",
            name="number",
            field=models.CharField(default="", max_length=60, verbose_name="证书编号"),
        ),
        migrations.RemoveField(
            model_name="certificate",
            name="number",
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.UniqueConstraint(
                fields=("type", "number_index"),
                name="certificate_number_index_unique_per_type",
                violation_error_message="该证书类型下已登记相同编号的证书",
            ),
        ),
    ]
