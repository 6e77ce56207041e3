"""The same routes on Starlette: uvicorn starlette_app:app"""
import os

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute

FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '1mb.bin')


async def index(request):
    return PlainTextResponse('Hello, World!')


async def json_(request):
    return JSONResponse({'message': 'Hello, World!'})


def page_route(i):
    async def page(request):
        return PlainTextResponse('page {} item {}'.format(i, request.path_params['id']))
    return Route('/page{}/{{id:int}}'.format(i), page)


async def echo(request):
    return Response(await request.body(), media_type='application/octet-stream')


async def file(request):
    return FileResponse(FILE)


async def ws(websocket):
    await websocket.accept()
    while True:
        await websocket.send_bytes(await websocket.receive_bytes())


async def sse(request):
    n = int(request.query_params.get('n', '1000'))

    async def events():
        for _ in range(n):
            yield 'data: x\n\n'
    return StreamingResponse(events(), media_type='text/event-stream')


app = Starlette(routes=[Route('/', index), Route('/json', json_)]
                + [page_route(i) for i in range(50)]
                + [Route('/echo', echo, methods=['POST']), Route('/file', file),
                   WebSocketRoute('/ws', ws), Route('/sse', sse)])
