"""Signed once: the credential's exact text on the document; its index in the
W3C Bitstring Status List (the document's id, unique), filled in here for the
documents issued before; the status lists themselves. The credentials of older
documents are signed on their first download (`services.credential_bytes`)."""

import django.utils.timezone
from django.db import migrations, models


def index_existing(apps, schema_editor):
    IssuedDocument = apps.get_model("credentials", "IssuedDocument")
    IssuedDocument.objects.filter(status_index__isnull=True).update(status_index=models.F("pk"))


class Migration(migrations.Migration):
    dependencies = [
        ("credentials", "0002_batch_parts_task_leases_pending_files"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatusList",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField(unique=True, verbose_name="status list number")),
                ("credential", models.TextField(blank=True, verbose_name="signed Open Badges credential")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="published at")),
            ],
            options={
                "verbose_name": "W3C status list",
                "verbose_name_plural": "W3C status lists",
            },
        ),
        migrations.AddField(
            model_name="issueddocument",
            name="credential",
            field=models.TextField(blank=True, editable=False, verbose_name="signed Open Badges credential"),
        ),
        migrations.AddField(
            model_name="issueddocument",
            name="status_index",
            field=models.PositiveBigIntegerField(
                blank=True, editable=False, null=True, verbose_name="index in the status list"
            ),
        ),
        migrations.AddConstraint(
            model_name="issueddocument",
            constraint=models.UniqueConstraint(fields=("status_index",), name="document_status_index_once"),
        ),
        migrations.RunPython(index_existing, migrations.RunPython.noop),
    ]
