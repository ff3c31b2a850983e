"""The installation's periodic jobs, as ``manage.py worker`` runs them (intervals from settings).

* ``uploads.pending`` — parse and ingest gate uploads stored with ``REALNAME_DEVICE_UPLOADS=deferred``;
* ``days.pending`` — recompute the DayRecords of punches stored with ``REALNAME_DAY_RECOMPUTE=deferred``
  (in ``inline`` mode there is normally nothing to do);
* ``days.close`` — the nightly close: every employment on site on each of the last
  ``REALNAME_CLOSE_DAYS_BACK`` days (in each project's own time zone) gets its DayRecord — absent, rest
  day or holiday when nobody punched; a worker that was down a night catches up;
* ``ledger.checkpoint`` — sign the ledger's new size and root (nothing when no event arrived);
* ``attendance.warnings`` — streaks, missing exits, fatigue, unknown persons, silent devices, as
  notifications (each sent once), after the close in the same schedule;
* ``notifications.deliver`` — e-mail/SMS copies that failed the first time, retried;
* ``admission.refresh`` — admission decided again for queued workers, for decisions that lapse by
  themselves (an expiry, an exit, a birthday) and for every employment once a day after local midnight;
  each flip reaches the project's gate devices (allow-list commands);
* ``training.retakes`` — project-level training passes of workers away longer than the plan allows are
  marked for a retake;
* ``safety.warnings`` — certificates 30 and 7 days before expiry or review and on expiry, required
  training passes 30 and 7 days before they run out, and refused workers' punches at the gate, as
  notifications (each sent once);
* ``payroll.arrears`` — wage-arrears warnings (欠薪预警): the wage account's funding before pay day, and
  after pay day unapproved sheets, unpaid workers, failed payments not re-issued, pay below the minimum
  wage (realname/payroll/arrears.py); a pay period is opened for a month with attendance and none.

Every job is idempotent (see realname/core/worker.py); each also has its own command for running by hand:
``close_days``, ``ledger_checkpoint``, ``attendance_warnings``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from realname.core.worker import Job

# One step of the day queue may cover this many events; a tick keeps stepping while there is work, up to
# this many steps, so a backlog is worked off without starving the other jobs.
_PENDING_STEPS_PER_TICK = 20


def ingest_pending_uploads() -> str:
    from realname.attendance.services import process_pending_raw

    messages = accepted = failed = 0
    for _ in range(_PENDING_STEPS_PER_TICK):
        step = process_pending_raw()
        if not step.messages:
            break
        messages, accepted, failed = messages + step.messages, accepted + step.accepted, failed + step.failed
    if not messages:
        return ""
    return f"{messages} uploads, {accepted} new events, {failed} unreadable"


def recompute_pending_days() -> str:
    from realname.attendance.daycalc import recompute_pending

    events = written = 0
    for _ in range(_PENDING_STEPS_PER_TICK):
        step = recompute_pending()
        if not step.events:
            break
        events += step.events
        written += step.result.written
    return f"{events} events, {written} day records written" if events else ""


def close_recent_days(*, today: dt.date | None = None) -> str:
    """Close the last ``REALNAME_CLOSE_DAYS_BACK`` days before today in every project's own time zone."""
    from realname.attendance import daycalc
    from realname.orgs.models import Project

    calendar = daycalc.holiday_calendar()
    created = 0
    for project in Project.objects.all():
        yesterday = daycalc.yesterday_in(project) if today is None else today - dt.timedelta(days=1)
        for back in range(settings.REALNAME_CLOSE_DAYS_BACK):
            day = yesterday - dt.timedelta(days=back)
            if project.start_date is not None and day < project.start_date:
                continue
            closed = daycalc.close_day(project=project, work_date=day, calendar=calendar)
            created += closed.result.created
    return f"{created} day records created" if created else ""


def sign_checkpoint() -> str:
    from realname.ledger.services import create_checkpoint

    checkpoint, new = create_checkpoint()
    return f"checkpoint {checkpoint.tree_size} {checkpoint.root_hash[:12]}" if new else ""


def run_attendance_warnings() -> str:
    from realname.attendance.warnings import run_warnings

    summary = run_warnings()
    found = sum(summary.found.values())
    if not summary.notified.created:
        return ""
    return f"{found} findings, {summary.notified.created} notifications created"


def deliver_notifications() -> str:
    """E-mail and SMS copies of notifications (sent after their commit; this retries the failed ones)."""
    from realname.notifications.services import deliver_due

    result = deliver_due()
    if not (result.sent or result.retrying or result.failed):
        return ""
    return f"{result.sent} sent, {result.retrying} to retry, {result.failed} failed"


def refresh_admission() -> str:
    from realname.admission.services import run_admission_jobs

    result = run_admission_jobs()
    if not (result.rechecks or result.updated):
        return ""
    return f"{result.decided} decided, {result.flipped} changed, {result.rechecks} rechecks"


def mark_training_retakes() -> str:
    from realname.training.jobs import mark_retakes_after_absence

    marked = mark_retakes_after_absence()
    return f"{marked} passes to retake" if marked else ""


def run_safety_warnings() -> str:
    from realname.admission.warnings import report_denied_punches
    from realname.certificates.jobs import run_certificate_warnings
    from realname.training.jobs import warn_expiring

    certificates = run_certificate_warnings()
    training = warn_expiring()
    denied = report_denied_punches().created
    if not (certificates or training or denied):
        return ""
    return f"{certificates} certificate, {training} training expiry, {denied} refused-at-gate notifications"


def check_arrears() -> str:
    from realname.payroll.arrears import check_all

    result = check_all()
    if not (result.opened or result.resolved or result.periods_opened):
        return ""
    return (
        f"{result.opened} arrears warnings opened, {result.resolved} resolved, "
        f"{result.periods_opened} periods opened"
    )


def default_jobs() -> list[Job]:
    return [
        Job("uploads.pending", settings.REALNAME_WORKER_UPLOADS_SECONDS, ingest_pending_uploads),
        Job("days.pending", settings.REALNAME_WORKER_DAYS_SECONDS, recompute_pending_days),
        Job("days.close", settings.REALNAME_WORKER_CLOSE_SECONDS, close_recent_days),
        Job("ledger.checkpoint", settings.REALNAME_WORKER_CHECKPOINT_SECONDS, sign_checkpoint),
        Job("attendance.warnings", settings.REALNAME_WORKER_WARNINGS_SECONDS, run_attendance_warnings),
        Job("notifications.deliver", settings.REALNAME_WORKER_DELIVER_SECONDS, deliver_notifications),
        Job("training.retakes", settings.REALNAME_WORKER_WARNINGS_SECONDS, mark_training_retakes),
        Job("admission.refresh", settings.REALNAME_WORKER_ADMISSION_SECONDS, refresh_admission),
        Job("safety.warnings", settings.REALNAME_WORKER_WARNINGS_SECONDS, run_safety_warnings),
        Job("payroll.arrears", settings.REALNAME_WORKER_ARREARS_SECONDS, check_arrears),
    ]
