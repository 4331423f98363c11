"""Room on each page of the answers table (PostgreSQL only): saving an answer
updates a row that was just drawn, again and again; with free space on its
page the update is a "heap-only tuple" (no index to touch, less WAL)."""

from django.db import migrations


def set_fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE assessment_attemptquestion SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE assessment_attemptquestion RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
