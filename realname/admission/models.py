"""Admission: who may enter a project (see rules.py for the decision, services.py for keeping it current)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Recheck(models.Model):
    """A worker whose admission must be decided again: something a decision depends on changed (a course
    passed, a certificate added or verified, a blacklist entry, an employment's exit). Written in the same
    transaction as the change, so a crash between the change and the recheck loses nothing; taken off by
    the refresh that decides again (after commit, and by the worker's ``admission.refresh`` job)."""

    worker_id = models.BigIntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("待重新判定")
        verbose_name_plural = _("待重新判定")

    def __str__(self) -> str:
        return f"worker {self.worker_id}"
