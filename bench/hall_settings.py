"""Production settings for the full-hall benchmark, with the bench-only URLconf.

Everything else is ``shuzhi.settings.prod`` (DEBUG off, persistent connections), so the vote
endpoint runs as deployed and the two baseline views run in the same process — except the
connection health check: with ``CONN_HEALTH_CHECKS`` Django sends a ``SELECT 1`` before the
first query of every request, one more round trip than the vote itself needs (one statement on
PostgreSQL). A connection that broke is still replaced: Django drops a connection whose query
failed with a connection error at the end of the request, and the phone retries with its nonce.
Both baselines lose the same round trip, so the ratios stay fair. ``SHUZHI_BENCH_HEALTH_CHECKS=1``
measures with the check, as ``shuzhi.settings.prod`` still has it.
``SHUZHI_BENCH_URLCONF`` can point at another URLconf (the default adds the baselines).
"""

import os

from shuzhi.settings.prod import *  # noqa: F403
from shuzhi.settings.prod import DATABASES

ROOT_URLCONF = os.environ.get("SHUZHI_BENCH_URLCONF", "bench.hall_urls")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = os.environ.get("SHUZHI_BENCH_HEALTH_CHECKS") == "1"
