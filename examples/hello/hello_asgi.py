"""Hello, World! under an ASGI server:

    pip install microdot-core "microdot-servers[asgi]"
    uvicorn --app-dir examples/hello hello_asgi:app     then open http://127.0.0.1:8000/

In a handler, ``request.asgi_scope`` is the scope the server gave.
"""
from microdot.asgi import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'Hello, World!'
