"""WebSocket echo under an ASGI server (the page is index.html, as for echo.py):

    pip install "microdot-servers[asgi]" microdot-websocket
    uvicorn --app-dir examples/websocket echo_asgi:app     then open http://127.0.0.1:8000/
"""
import os

from microdot.asgi import Microdot, send_file, with_websocket

HERE = os.path.dirname(os.path.abspath(__file__))
app = Microdot()


@app.route('/')
async def index(request):
    return send_file(os.path.join(HERE, 'index.html'))


@app.route('/echo')
@with_websocket
async def echo(request, ws):
    while True:
        message = await ws.receive()
        await ws.send(message)
