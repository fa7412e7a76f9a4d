"""The product's clock. Services ask here for today's date and the current time so that tests
can move time (deadlines, reminders, escalation) by patching one place."""

from __future__ import annotations

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    """The current aware datetime."""
    return timezone.now()


def today() -> datetime.date:
    """Today's date in the installation's time zone."""
    return timezone.localdate(now())
