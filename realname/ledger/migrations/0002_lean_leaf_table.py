"""The leaf table made lean: the index becomes the primary key, the event reference loses its database
index and constraint, created_at goes (docs/performance.md, "A lean leaf table").

Changing a primary key in place is not portable (SQLite rebuilds the table through a state that has no
key), so the leaves are copied into a new table in one INSERT … SELECT, the old table is dropped and the
new one takes its name. Every leaf keeps its index, event and hash."""

import django.db.models.deletion
from django.db import migrations, models


def copy_leaves(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote('ledger_newledgerleaf')} ({quote('index')}, event_id, leaf_hash) "
            f"SELECT {quote('index')}, event_id, leaf_hash FROM {quote('ledger_ledgerleaf')}"
        )


def copy_leaves_back(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote('ledger_ledgerleaf')} ({quote('index')}, event_id, leaf_hash, created_at) "
            f"SELECT {quote('index')}, event_id, leaf_hash, CURRENT_TIMESTAMP FROM {quote('ledger_newledgerleaf')}"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0008_hot_tables_without_foreign_keys'),
        ('ledger', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='NewLedgerLeaf',
            fields=[
                ('index', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='序号')),
                ('leaf_hash', models.CharField(max_length=64, verbose_name='叶子哈希')),
                ('event', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='attendance.accessevent', verbose_name='考勤事件')),
            ],
            options={
                'verbose_name': '账本叶子',
                'verbose_name_plural': '账本叶子',
            },
        ),
        migrations.RunPython(copy_leaves, copy_leaves_back),
        migrations.DeleteModel(name='LedgerLeaf'),
        migrations.RenameModel(old_name='NewLedgerLeaf', new_name='LedgerLeaf'),
        migrations.AlterField(
            model_name='ledgerleaf',
            name='event',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_leaves', to='attendance.accessevent', verbose_name='考勤事件'),
        ),
        migrations.AddConstraint(
            model_name='ledgerleaf',
            constraint=models.CheckConstraint(condition=models.Q(('index__gte', 0)), name='ledger_leaf_index_non_negative'),
        ),
    ]
