"""An SSE app for MicroPython (the tests run it with the unix port): ``micropython sse_app.py PORT``."""
import asyncio
import sys

from microdot import Microdot
from microdot.sse import SSEExtension, with_sse

app = Microdot()
SSEExtension(app, heartbeat=0.2)
state = {}


@app.route('/numbers')
@with_sse
async def numbers(request, sse):
    start = int(sse.last_event_id) + 1 if sse.last_event_id else 0
    for i in range(start, start + int(request.args.get('n', '3'))):
        await sse.send({'n': i}, event='number', event_id=i)
    if request.args.get('hold'):
        await asyncio.sleep(3600)


@app.route('/held')
@with_sse
async def held(request, sse):
    token = request.args.get('token')
    state[token] = ['started']
    try:
        await sse.send('ready')
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        state[token].append('cancelled')
        raise
    finally:
        state[token].append('finally')


@app.route('/error')
@with_sse
async def error(request, sse):
    await sse.send('before the error')
    raise RuntimeError('handler bug (expected by the test)')


@app.route('/text')
@with_sse
async def text(request, sse):
    await sse.send('caf\u00e9\nline two', event='multi')
    await sse.send(b'bytes', retry=1.5)


@app.get('/state/<token>')
async def get_state(request, token):
    return {'events': state.get(token, [])}


@app.get('/mem')
async def mem(request):
    import gc
    gc.collect()
    return {'free': gc.mem_free()}


@app.get('/plain')
async def plain(request):
    return 'plain'


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(sys.argv[1]))
