"""The register's own background jobs (registry/jobs.py says how jobs work here; docs/jobs.md how to
run the worker): the yearly verification loop, the editors' digests, the nightly duplicate search,
and the queue's upkeep.

Daily work is scheduled every hour and is idempotent for its day: a worker that was down at the
hour the work was due catches up at the next hour, and a second run on the same day finds its work
done. Each periodic task acts for the day of its tick (`timestamp`), not for the clock it runs by.
"""

from __future__ import annotations

import datetime
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone
from procrastinate import JobContext, exceptions
from procrastinate.contrib.django import app
from procrastinate.jobs import Status

from registry import actions, campaigns, duplicates, jobs, subscriptions, webhooks
from registry.models import DuplicateCandidate, DuplicateDecision

logger = logging.getLogger(__name__)


def signing_moment(day: datetime.date) -> datetime.datetime:
    """When a link sent for `day` counts as made: now for today, else noon of that day."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def run_verification_day(day: datetime.date) -> str:
    """The loop's work for one day (registry.campaigns): open rounds, hand the unanswered to the
    editors, send what is due within the daily caps. Each message is its own transaction, so a
    worker killed half-way leaves each round sent and recorded, or neither; the retry sends the rest.
    A message that cannot be sent is retried with the job; its error is kept (registry.jobs)."""
    waiting, to_worklist = actions.open_verification_rounds(day, acting_user=None)
    unanswered = actions.put_unanswered_on_worklist(day, acting_user=None)
    at, sent, failed = signing_moment(day), 0, []
    mail = get_connection()
    for due in campaigns.due_messages(day):
        try:
            if actions.send_verification_message(due.round_id, due.kind, day, acting_user=None, at=at, mail=mail):
                sent += 1
                if settings.VERIFICATION_SEND_PAUSE:
                    time.sleep(settings.VERIFICATION_SEND_PAUSE)
        except Exception as error:
            logger.exception("Verification round #%s: the %s could not be sent", due.round_id, due.kind)
            failed.append(f"round #{due.round_id}: {type(error).__name__}: {error}")
    summary = (f"{day}: {waiting + to_worklist} rounds opened ({to_worklist} straight to the worklist), "
               f"{unanswered} unanswered to the worklist, {sent} messages sent")
    if failed:
        raise RuntimeError(f"{summary}; {len(failed)} could not be sent: " + "; ".join(failed[:20]))
    return summary


@jobs.periodic("5 * * * *")
@app.task(name="verification_day", queueing_lock="verification_day", lock="verification",
          retry=jobs.RETRIES)
def verification_day(timestamp: int) -> str:
    return run_verification_day(jobs.day_of(timestamp))


def run_digests(day: datetime.date) -> str:
    sent = sum(campaigns.send_digest(user_id, rounds, day) for user_id, rounds in campaigns.digests(day).items())
    return f"{day}: {sent} digests sent"


@jobs.periodic("45 * * * *")
@app.task(name="worklist_digests", queueing_lock="worklist_digests", lock="verification",
          retry=jobs.RETRIES)
def worklist_digests(timestamp: int) -> str:
    return run_digests(jobs.day_of(timestamp))


def run_subscription_digests(day: datetime.date) -> str:
    """The subscribers' digests due on `day` (registry.subscriptions): yesterday's for daily ones,
    last week's for weekly ones, each once; then unconfirmed subscriptions past their link's life go."""
    sent, failed = subscriptions.run_digests(day)
    removed = subscriptions.remove_unconfirmed()
    summary = f"{day}: {sent} subscription digests sent, {removed} unconfirmed subscriptions removed"
    if failed:
        raise RuntimeError(f"{summary}; {len(failed)} could not be sent: " + "; ".join(failed[:20]))
    return summary


@jobs.periodic("50 * * * *")
@app.task(name="subscription_digests", queueing_lock="subscription_digests", lock="subscription_digests",
          retry=jobs.RETRIES)
def subscription_digests(timestamp: int) -> str:
    return run_subscription_digests(jobs.day_of(timestamp))


@jobs.periodic(settings.WEBHOOKS_CRON)
@app.task(name="deliver_webhooks", queueing_lock="deliver_webhooks", lock="deliver_webhooks")
def deliver_webhooks(timestamp: int) -> str:
    """The change feed's new events to every active webhook (registry.webhooks): a failed delivery is
    retried by a later run after its back-off, so this job itself is not retried."""
    return webhooks.deliver_all()


@jobs.periodic("30 2 * * *")
@app.task(name="find_duplicates", queueing_lock="find_duplicates", retry=jobs.LONG_RETRIES)
def find_duplicates(timestamp: int) -> str:
    """The nightly search for possible duplicates across the whole register (saving searches each
    saved record; this finds what a bulk change or a changed rule left)."""
    found = duplicates.find_all()
    waiting = DuplicateCandidate.objects.filter(decision=DuplicateDecision.OPEN).count()
    return f"{found} new possible duplicates; {waiting} wait for review"


# -- the queue's own upkeep ------------------------------------------------------------------------


@jobs.periodic(settings.JOBS_RECOVERY_CRON)
@app.task(name="recover_stalled_jobs", queueing_lock="recover_stalled_jobs", pass_context=True)
async def recover_stalled_jobs(context: JobContext, timestamp: int) -> str:
    """Jobs whose worker stopped sending heartbeats (killed, its machine gone) are retried, with an
    error row that says so. Their work is idempotent (see registry.jobs), so a retry finishes it.

    A scheduled job may meanwhile have a successor waiting under the same queueing lock (the next
    tick of its schedule, for the same day): that one does the same work, so the stalled job is
    ended as aborted instead, with an error row that names its successor."""
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=jobs.stalled_seconds()))
    for job in stalled:
        assert job.id is not None
        note = f"the worker stopped while running this job (no heartbeat for {jobs.stalled_seconds():.0f} s)"
        try:
            await manager.retry_job(job)
        except exceptions.UniqueViolation:
            await manager.finish_job_by_id_async(job.id, Status.ABORTED, delete_job=False)
            note += f"; a job waiting under the same queueing lock ({job.queueing_lock}) does its work"
        else:
            note += "; retried"
        await sync_to_async(jobs.record_error)(job.id, job.task_name, job.attempts + 1, note)
    return f"{len(stalled)} stalled jobs recovered"


@jobs.periodic("15 3 * * *")
@app.task(name="remove_old_jobs", queueing_lock="remove_old_jobs", pass_context=True)
async def remove_old_jobs(context: JobContext, timestamp: int) -> str:
    """Finished jobs (succeeded or cancelled) older than JOBS_KEEP_DAYS go; failed ones stay in the
    admin until someone retries or deletes them."""
    await context.app.job_manager.delete_old_jobs(nb_hours=settings.JOBS_KEEP_DAYS * 24,
                                                  include_failed=False, include_cancelled=True)
    removed = await sync_to_async(jobs.forget_errors_of_removed_jobs)()
    return f"old jobs removed, and {removed} errors of theirs"
