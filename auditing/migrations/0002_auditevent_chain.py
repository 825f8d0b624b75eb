"""Hash-chain the audit log: seq, prev_hash, entry_hash, entry_mac (existing rows too)."""

from django.conf import settings
from django.db import migrations, models


def chain_existing(apps, schema_editor):
    from auditing import chain

    AuditEvent = apps.get_model("auditing", "AuditEvent")
    prev = chain.GENESIS_HASH
    for seq, event in enumerate(AuditEvent.objects.order_by("id"), start=1):
        event.seq = seq
        event.prev_hash = prev
        event.entry_hash = chain.entry_hash(
            seq=seq,
            created_at=event.created_at,
            tenant_key=event.tenant_key,
            actor=event.actor,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            data=event.data,
            prev_hash=prev,
        )
        event.entry_mac = chain.mac(settings.AUDIT_SIGNING_KEY, event.entry_hash)
        event.save(update_fields=["seq", "prev_hash", "entry_hash", "entry_mac"])
        prev = event.entry_hash


class Migration(migrations.Migration):

    dependencies = [
        ("auditing", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(db_index=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="entry_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="entry_mac",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True),
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["seq"]},
        ),
    ]
