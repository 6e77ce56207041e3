"""The benchmark's routes for a Microdot app: the same file serves this project and Microdot 2.6.2,
on CPython and MicroPython (no f-strings, no os.path)."""
import gc

from microdot import send_file
from microdot.sse import with_sse
from microdot.websocket import with_websocket

HERE = __file__.rpartition('/')[0] or '.'
FILE = HERE + '/1mb.bin'  # written by bench/run.py


def add_routes(app):
    @app.route('/')
    async def index(request):
        return 'Hello, World!'

    @app.route('/json')
    async def json_(request):
        return {'message': 'Hello, World!'}

    # 50 routes with a typed argument; the benchmark asks for the last one
    def page_route(i):
        async def page(request, id):
            return 'page ' + str(i) + ' item ' + str(id)
        app.route('/page' + str(i) + '/<int:id>')(page)
    for i in range(50):
        page_route(i)

    @app.route('/echo', methods=['POST'])
    async def echo(request):
        return request.body, 200, {'Content-Type': 'application/octet-stream'}

    @app.route('/file')
    async def file(request):
        return send_file(FILE)

    @app.route('/ws')
    @with_websocket
    async def ws(request, ws):
        while True:
            await ws.send(await ws.receive())

    @app.route('/sse')
    @with_sse
    async def sse(request, sse):
        n = int(request.args.get('n', '1000'))
        for i in range(n):
            await sse.send('x')

    @app.route('/_mem')
    async def mem(request):
        if request.args.get('collect'):
            gc.collect()
        try:
            return {'alloc': gc.mem_alloc(), 'free': gc.mem_free()}
        except AttributeError:  # CPython
            return {}
