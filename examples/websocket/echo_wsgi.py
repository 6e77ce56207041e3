"""WebSocket echo under a WSGI server (the page is index.html, as for echo.py). A WebSocket
holds a gunicorn thread while it is open, so run the threaded worker:

    pip install "microdot-servers[wsgi]" microdot-websocket
    gunicorn --chdir examples/websocket -k gthread --threads 16 echo_wsgi:app
    then open http://127.0.0.1:8000/
"""
import os

from microdot.wsgi import Microdot, send_file, with_websocket

HERE = os.path.dirname(os.path.abspath(__file__))
app = Microdot()


@app.route('/')
def index(request):
    return send_file(os.path.join(HERE, 'index.html'))


@app.route('/echo')
@with_websocket
async def echo(request, ws):
    while True:
        message = await ws.receive()
        await ws.send(message)
