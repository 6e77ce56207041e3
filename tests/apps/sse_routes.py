"""SSE routes of the conformance app, under ``/sse/...`` (owned by the microdot-sse helper).

MicroPython-safe. State that the tests read back (did the handler's ``finally`` run?) lives in a
dict created by ``install()``, keyed by a token the test chooses.
"""
import asyncio

from microdot.sse import with_sse


def install(app):
    handlers = {}  # token -> list of what happened to that handler

    def record(request, what):
        token = request.args.get('token')
        if token:
            handlers.setdefault(token, []).append(what)

    @app.route('/sse/counter')
    @with_sse
    async def counter(request, sse):
        # the docs' example, without the one-second pauses unless asked for
        delay = float(request.args.get('delay', '0'))
        for i in range(int(request.args.get('n', '10'))):
            if delay:
                await asyncio.sleep(delay)
            await sse.send({'counter': i})
        await sse.send('end', event='comment')

    @app.route('/sse/kinds')
    @with_sse
    async def kinds(request, sse):
        await sse.send({'a': 1})
        await sse.send([1, 'two'])
        await sse.send('plain text')
        await sse.send('not an event', comment=True)  # before any id: see the conformance test
        await sse.send(b'raw bytes')
        await sse.send('line one\nline two\r\nline three\rline four')
        await sse.send('named', event='greeting')
        await sse.send('with id', event_id='id-42')
        await sse.send('with retry', retry=2.5)
        await sse.send('all', event='full', event_id=7, retry=0.25)
        await sse.send('caf\u00e9 \u2603 \U0001f600')
        await sse.send('')
        await sse.send('trailing newline\n')
        await sse.send('done', event='end')

    @app.route('/sse/injection')
    @with_sse
    async def injection(request, sse):
        # a line break in a field name's value would start a field of the sender's choosing
        refused = []
        for kwargs in ({'event': 'x\ndata: forged'}, {'event_id': '1\r\nevent: forged'},
                       {'event_id': 'a\x00b'}, {'event': 'x\ry'}):
            try:
                await sse.send('payload', **kwargs)
            except ValueError:
                refused.append(sorted(kwargs)[0])
        await sse.send('comment\ndata: forged', comment=True)
        await sse.send(refused, event='refused')

    @app.route('/sse/resume')
    @with_sse
    async def resume(request, sse):
        # ids count up; a reconnecting client sends the last id it saw and gets what follows
        last = sse.last_event_id
        start = int(last) + 1 if last else 0
        n = int(request.args.get('n', '3'))
        for i in range(start, start + n):
            await sse.send({'n': i}, event_id=i)
        if request.args.get('hold'):
            await asyncio.sleep(3600)

    @app.route('/sse/last-event-id')
    @with_sse
    async def last_event_id(request, sse):
        await sse.send({'last_event_id': sse.last_event_id,
                        'header': request.headers.get('Last-Event-ID')})

    @app.route('/sse/heartbeat')
    @with_sse(heartbeat=0.2)
    async def heartbeat(request, sse):
        await sse.send('ready')
        await asyncio.sleep(float(request.args.get('idle', '3600')))
        await sse.send('after idle')

    @app.route('/sse/held')
    @with_sse(heartbeat=0.2)
    async def held(request, sse):
        record(request, 'started')
        try:
            await sse.send('ready')
            await asyncio.sleep(3600)
        except BaseException as exc:
            record(request, 'cancelled' if type(exc).__name__ == 'CancelledError'
                   else type(exc).__name__)
            raise
        finally:
            record(request, 'finally')

    @app.route('/sse/held-long')
    @with_sse(heartbeat=2)
    async def held_long(request, sse):
        # a long heartbeat: a client that leaves must be noticed within one interval of it
        record(request, 'started')
        try:
            await sse.send('ready')
            await asyncio.sleep(3600)
        finally:
            record(request, 'finally')

    @app.get('/sse/handlers/<token>')
    async def handler_state(request, token):
        return {'events': handlers.get(token, [])}

    @app.route('/sse/error')
    @with_sse
    async def error(request, sse):
        await sse.send('before the error')
        raise RuntimeError('expected by the conformance test: logged, never sent')

    @app.route('/sse/many')
    @with_sse
    async def many(request, sse):
        # more than fits in the send buffer: send() must wait for the client, never drop
        n = int(request.args.get('n', '500'))
        for i in range(n):
            await sse.send('x' * 200, event_id=i)
