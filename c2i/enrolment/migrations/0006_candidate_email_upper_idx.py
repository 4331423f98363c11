import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enrolment", "0005_invitation_adjustments"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="candidate",
            index=models.Index(django.db.models.functions.text.Upper("email"), name="candidate_email_upper_idx"),
        ),
    ]
