"""Production settings for the full-hall benchmark, with the bench-only URLconf.

Everything else is ``shuzhi.settings.prod`` unchanged (DEBUG off, persistent connections), so
the vote endpoint runs exactly as deployed and the two baseline views run in the same process.
``SHUZHI_BENCH_URLCONF`` can point at another URLconf (the default adds the baselines).
"""

import os

from shuzhi.settings.prod import *  # noqa: F403

ROOT_URLCONF = os.environ.get("SHUZHI_BENCH_URLCONF", "bench.hall_urls")
