"""The test app under gunicorn: ``gunicorn --chdir tests/apps wsgi_app:app``."""
from microdot.wsgi import Microdot

import servers_app

app = Microdot()
servers_app.install(app)
