"""The app under measurement (CPython or MicroPython): ``python idle_app.py PORT [MAX_CONNECTIONS]``.

``/events``: an SSE stream that sends one event and then stays idle (default heartbeat, 15 s).
``/baseline``: the same without SSE (a plain streamed body). ``/plain``: a small plain answer. ``/mem``: the heap in use after a collection (MicroPython), or
None on CPython (the bench reads the process's RSS there).
"""
import asyncio
import gc
import sys

from microdot import Microdot
from microdot.sse import with_sse

app = Microdot()


@app.route('/events')
@with_sse
async def events(request, sse):
    await sse.send('ready')
    await asyncio.sleep(24 * 3600)


class IdleBody:
    """The baseline: a streamed body without SSE (one chunk, then idle), to tell the core's share
    of a stream's cost from the plugin's."""

    def __init__(self):
        self.sent = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.sent:
            self.sent = True
            return b'data: ready\n\n'
        await asyncio.sleep(24 * 3600)


@app.get('/baseline')
async def baseline(request):
    return IdleBody(), 200, {'Content-Type': 'text/event-stream'}


@app.get('/plain')
async def plain(request):
    return 'plain'


@app.get('/mem')
async def mem(request):
    gc.collect()
    alloc = getattr(gc, 'mem_alloc', None)
    return {'heap_used': alloc() if alloc else None}


if __name__ == '__main__':
    if len(sys.argv) > 2:
        app.max_connections = int(sys.argv[2])
    app.run(host='127.0.0.1', port=int(sys.argv[1]))
