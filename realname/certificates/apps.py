from __future__ import annotations

from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "realname.certificates"
    label = "certificates"
