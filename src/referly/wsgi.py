"""The WSGI entry, for `referly serve` and any WSGI server. In production (REFERLY_HTTPS=1) unsafe settings stop it."""

import os
import sys

from django.core.wsgi import get_wsgi_application

from referly.web.security import configured_refusal

# 4 is gunicorn's "App failed to load": its arbiter stops, instead of starting the worker again and again.
APP_LOAD_ERROR = 4

refused = configured_refusal()
if refused is not None:
    sys.stderr.write(f"Error: {refused[1]}\n")
    sys.stderr.flush()
    raise SystemExit(APP_LOAD_ERROR)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referly.settings")
application = get_wsgi_application()
