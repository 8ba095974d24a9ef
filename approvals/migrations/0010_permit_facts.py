"""Permits state the facts as decided (Permit.facts), fixed at issue.

Permits issued before this printed the registry record (their holder), so
that is what their snapshot holds: the PDFs already issued stay true to it.
"""

from django.db import migrations, models

# As approvals.models.permits.PERMIT_FACTS at the time of writing: fact, registry attribute.
FACTS = (
    ("name_zh", "name_zh"),
    ("name_en", "name_en"),
    ("enterprise_type", "enterprise_type"),
    ("legal_representative", "legal_representative"),
    ("registered_capital", "registered_capital"),
    ("address", "address"),
)


def facts_from_holder(apps, schema_editor):
    Permit = apps.get_model("approvals", "Permit")
    for permit in Permit.objects.select_related("holder").filter(facts={}).iterator():
        holder = permit.holder
        permit.facts = {
            key: "" if getattr(holder, attribute) is None else str(getattr(holder, attribute))
            for key, attribute in FACTS
        }
        permit.save(update_fields=["facts"])


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0009_calendar_notice"),
    ]

    operations = [
        migrations.AddField(
            model_name="permit",
            name="facts",
            field=models.JSONField(blank=True, default=dict, verbose_name="facts as decided"),
        ),
        migrations.RunPython(facts_from_holder, migrations.RunPython.noop),
    ]
