"""Drop what the matters replaced: ServiceDepartment (now each matter's department and
review limit), the service's permit fields (now each matter's outcome), and the one
review per department (a department may decide two matters of one application)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0016_matters_data"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='service',
            name='departments',
        ),
        migrations.RemoveConstraint(
            model_name='departmentreview',
            name='review_once_per_department',
        ),
        migrations.RemoveField(
            model_name='service',
            name='permit_licence_type',
        ),
        migrations.RemoveField(
            model_name='service',
            name='permit_name_en',
        ),
        migrations.RemoveField(
            model_name='service',
            name='permit_name_zh',
        ),
        migrations.RemoveField(
            model_name='service',
            name='permit_valid_years',
        ),
        migrations.DeleteModel(
            name='ServiceDepartment',
        ),
    ]
