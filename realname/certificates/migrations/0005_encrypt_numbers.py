"""Certificate numbers encrypted at rest, step 2 of 3: each existing number is encrypted, indexed and
masked (realname.certificates.numbers). Reversible: going back decrypts into the plain column (which
0006's reverse has re-created), so it needs the same data keys that encrypted it."""

from typing import Any

from django.db import migrations


def encrypt_numbers(apps: Any, schema_editor: Any) -> None:
    from realname.certificates import numbers

    Certificate = apps.get_model("certificates", "Certificate")
    for certificate in Certificate.objects.using(schema_editor.connection.alias).only("pk", "number").iterator():
        certificate.number_enc = numbers.encrypt(certificate.number)
        certificate.number_index = numbers.index(certificate.number)
        certificate.number_masked = numbers.mask(certificate.number)
        certificate.save(update_fields=["number_enc", "number_index", "number_masked"])


def decrypt_numbers(apps: Any, schema_editor: Any) -> None:
    from realname.certificates import numbers

    Certificate = apps.get_model("certificates", "Certificate")
    for certificate in Certificate.objects.using(schema_editor.connection.alias).only("pk", "number_enc").iterator():
        certificate.number = numbers.decrypt(certificate.number_enc) if certificate.number_enc else ""
        certificate.save(update_fields=["number"])


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0004_number_encrypted_fields"),
    ]

    operations = [
        migrations.RunPython(encrypt_numbers, decrypt_numbers, elidable=False),
    ]
