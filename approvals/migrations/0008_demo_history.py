from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0007_review_queue_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="is_demo_history",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="Demo history made by seed_demo; a real deployment never has any.",
            ),
        ),
    ]
