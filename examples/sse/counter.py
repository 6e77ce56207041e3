"""Server-Sent Events: the page at / shows a counter that the server pushes, one a second.

    python3 examples/sse/counter.py [PORT]        then open http://127.0.0.1:5000/
    micropython examples/sse/counter.py [PORT]    with microdot/ on MICROPYPATH
    curl -N http://127.0.0.1:5000/events          the raw event stream

Needs microdot-core and microdot-sse.
"""
import asyncio
import sys

from microdot import Microdot, send_file
from microdot.sse import with_sse

# the folder of this file (no os.path on MicroPython): the page is served from there
HERE = __file__.rpartition('/')[0] or '.'
app = Microdot()


@app.route('/')
async def index(request):
    return send_file(HERE + '/index.html')


@app.route('/events')
@with_sse
async def events(request, sse):
    for i in range(10):
        await asyncio.sleep(1)
        await sse.send({'counter': i})  # unnamed event
    await sse.send('end', event='comment')  # named event


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host='127.0.0.1', port=port, debug=True)
