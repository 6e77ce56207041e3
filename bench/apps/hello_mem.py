"""bench/hello_app.py plus a /_mem route (gc heap in use; ?collect=1 collects first), for the
MicroPython heap figures and small-heap checks: micropython -X heapsize=128k hello_mem.py PORT"""
import gc
import sys

from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'Hello, World!'


@app.route('/_mem')
async def mem(request):
    if request.args.get('collect'):
        gc.collect()
    return {'alloc': gc.mem_alloc(), 'free': gc.mem_free()}


app.run(host='127.0.0.1', port=int(sys.argv[1]))
