"""The conformance app under an ASGI server: ``uvicorn --app-dir tests/apps asgi_main:app``.

The same route modules as ``main.py``, on ``microdot.asgi.Microdot``; the limits come from
``MICRODOT_APP_OPTIONS`` (``--max-body-length 4096 ...``), as main.py reads them from argv.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import main  # noqa: E402
import servers_routes  # noqa: E402
from microdot.asgi import Microdot  # noqa: E402

options = main.parse_args(os.environ.get('MICRODOT_APP_OPTIONS', '').split())
app = main.create_app(Microdot(), options)
servers_routes.install(app)
