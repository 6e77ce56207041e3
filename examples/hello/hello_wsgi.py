"""Hello, World! under a WSGI server:

    pip install microdot-core "microdot-servers[wsgi]"
    gunicorn --chdir examples/hello hello_wsgi:app     then open http://127.0.0.1:8000/

In a handler, ``request.environ`` is the environ the server gave.
"""
from microdot.wsgi import Microdot

app = Microdot()


@app.route('/')
def index(request):
    return 'Hello, World!'
