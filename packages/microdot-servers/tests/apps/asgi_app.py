"""The test app under uvicorn: ``uvicorn --app-dir tests/apps asgi_app:app``."""
from microdot.asgi import Microdot

import servers_app


async def lifespan_startup(scope):
    scope['state']['from_lifespan'] = 'yes'


app = Microdot(lifespan_startup=lifespan_startup)
servers_app.install(app)
