"""The same routes on FastAPI: uvicorn fastapi_app:app"""
import os

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '1mb.bin')
app = FastAPI()


@app.get('/', response_class=PlainTextResponse)
async def index():
    return 'Hello, World!'


@app.get('/json')
async def json_():
    return {'message': 'Hello, World!'}


def page_route(i):
    async def page(id: int):
        return PlainTextResponse('page {} item {}'.format(i, id))
    app.get('/page{}/{{id}}'.format(i))(page)


for _i in range(50):
    page_route(_i)


@app.post('/echo')
async def echo(request: Request):
    return Response(await request.body(), media_type='application/octet-stream')


@app.get('/file')
async def file():
    return FileResponse(FILE)


@app.websocket('/ws')
async def ws(websocket: WebSocket):
    await websocket.accept()
    while True:
        await websocket.send_bytes(await websocket.receive_bytes())


@app.get('/sse')
async def sse(n: int = 1000):
    async def events():
        for _ in range(n):
            yield 'data: x\n\n'
    return StreamingResponse(events(), media_type='text/event-stream')
