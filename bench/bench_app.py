"""The real app as bench/login.py serves it: CSRF protection and rate limiting switched off.

For this benchmark only. Every login POST would otherwise need a fresh CSRF token (a GET of
the form first, with its cookie), and the limiter (30 login POSTs a minute per client, 10
per login) would answer 429 after a few seconds, so the figure would be the limiter's, not
the cost of a login: the Argon2id verification and the server-side session. Both are set
here, whatever IOK_RATELIMIT_ENABLED says. Everything else (configuration from the IOK_*
environment, tenancy, sessions) is create_app() as deployed. Never serve this module
outside bench/.
"""

import sys
from pathlib import Path

# The repository root, so that `iok_saas` imports whatever gunicorn's --chdir is.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iok_saas import create_app  # noqa: E402

app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
