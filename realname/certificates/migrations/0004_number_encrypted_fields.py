"""Certificate numbers encrypted at rest, step 1 of 3: the new columns beside the old one, and the old
(type, number) uniqueness dropped (it moves to (type, number_index) in 0006)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0003_window_help_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="number_enc",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="certificate",
            name="number_index",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="certificate",
            name="number_masked",
            field=models.CharField(default="", editable=False, max_length=60, verbose_name="证书编号"),
            preserve_default=False,
        ),
        migrations.RemoveConstraint(
            model_name="certificate",
            name="certificate_number_unique_per_type",
        ),
    ]
