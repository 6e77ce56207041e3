"""WebSocket echo: the page at / sends what you type and shows what comes back.

    python3 examples/websocket/echo.py [PORT]        then open http://127.0.0.1:5000/
    micropython examples/websocket/echo.py [PORT]    with microdot/ on MICROPYPATH

Needs microdot-core and microdot-websocket.
"""
import sys

from microdot import Microdot, send_file
from microdot.websocket import with_websocket

# the folder of this file (no os.path on MicroPython): the page is served from there
HERE = __file__.rpartition('/')[0] or '.'
app = Microdot()


@app.route('/')
async def index(request):
    return send_file(HERE + '/index.html')


@app.route('/echo')
@with_websocket
async def echo(request, ws):
    while True:
        message = await ws.receive()
        await ws.send(message)


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host='127.0.0.1', port=port, debug=True)
