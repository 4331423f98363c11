"""The entries written before the chain existed get their hashes, in id order,
and the chain's head points at the last one."""

from django.db import migrations

from c2i.lib import audit_chain


def chain_existing(apps, schema_editor):
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    AuditChainHead = apps.get_model("accounts", "AuditChainHead")
    previous, last_id, batch = audit_chain.GENESIS, 0, []
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        entry.details = audit_chain.as_stored(entry.details)
        entry.details_digest = audit_chain.details_digest(entry.details)
        entry.prev_hash = previous
        entry.entry_hash = audit_chain.entry_hash(
            previous, entry.at, entry.actor_id, entry.action, entry.object_type, entry.object_id, entry.details_digest
        )
        previous, last_id = entry.entry_hash, entry.id
        batch.append(entry)
        if len(batch) == 2000:
            AuditEntry.objects.bulk_update(batch, ["details", "details_digest", "prev_hash", "entry_hash"])
            batch = []
    AuditEntry.objects.bulk_update(batch, ["details", "details_digest", "prev_hash", "entry_hash"])
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_id": last_id, "last_hash": previous})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_audit_chain")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
