import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sso", "0002_identity_ine"),
    ]

    operations = [
        migrations.CreateModel(
            name="CasSessionTicket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("ticket", models.CharField(max_length=255, unique=True)),
                ("session_key", models.CharField(db_index=True, max_length=40)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sso.identityprovider"
                    ),
                ),
            ],
            options={
                "verbose_name": "CAS session ticket",
                "verbose_name_plural": "CAS session tickets",
            },
        ),
    ]
