"""WebSocket routes of the conformance app, under /websocket/... (MicroPython-safe).

``GET /websocket/state`` returns how the handlers ended, so black-box tests can check that a
disconnect or a close ended the handler cleanly and with which close code.
"""
import asyncio

from microdot.websocket import with_websocket


def install(app):
    ended = []

    def record(route, ws, how):
        ended.append({'route': route, 'how': how, 'close_code': ws.close_code})
        del ended[:-20]  # bounded

    @app.route('/websocket/echo')
    @with_websocket
    async def echo(request, ws):
        how = 'returned'
        try:
            while True:
                await ws.send(await ws.receive())
        except Exception as exc:
            how = type(exc).__name__
            raise
        finally:
            record('echo', ws, how)

    @app.route('/websocket/big')
    @with_websocket(max_message_length=2 * 1024 * 1024)
    async def big(request, ws):
        async for message in ws:
            await ws.send(message)

    @app.route('/websocket/small')
    @with_websocket(max_message_length=1000)
    async def small(request, ws):
        async for message in ws:
            await ws.send(message)

    @app.route('/websocket/close/<int:code>')
    @with_websocket
    async def close_with(request, ws, code):
        message = await ws.receive()
        await ws.close(code, 'bye ' + message)

    @app.route('/websocket/sender')
    @with_websocket
    async def sender(request, ws):
        for i in range(int(request.args.get('n', '20'))):
            await ws.send(str(i))
            await asyncio.sleep(float(request.args.get('delay', '0.05')))
        await ws.send('done')

    @app.route('/websocket/ping')
    @with_websocket
    async def ping(request, ws):
        await ws.ping(b'are you there')
        await ws.send(await ws.receive())

    @app.route('/websocket/concurrent')
    @with_websocket
    async def concurrent(request, ws):
        async def ticker():
            for i in range(5):
                await ws.send('tick {}'.format(i))
                await asyncio.sleep(0.02)
        task = asyncio.create_task(ticker())
        message = await ws.receive()
        await task
        await ws.send('got ' + message)

    @app.route('/websocket/info')
    @with_websocket(subprotocols=['chat.v2', 'chat.v1'])
    async def info(request, ws):
        await ws.send('{}|{}'.format(ws.subprotocol, ws.origin))
        await ws.receive()

    @app.route('/websocket/origin')
    @with_websocket(allowed_origins=['https://good.example'])
    async def origin(request, ws):
        await ws.send('welcome')

    @app.route('/websocket/after-close')
    @with_websocket
    async def after_close(request, ws):
        result = []
        for attempt in ('receive', 'send'):
            try:
                if attempt == 'receive':
                    await ws.receive()
                else:
                    await ws.send('late')
                result.append('no error')
            except Exception as exc:
                result.append([type(exc).__name__, getattr(exc, 'code', None)])
        ended.append({'route': 'after-close', 'how': result, 'close_code': ws.close_code})

    @app.get('/websocket/state')
    async def state(request):
        return {'ended': ended}
