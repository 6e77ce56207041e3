"""The benchmark's hello world: the same file runs on microdot (this repo) and on Microdot 2.6.2.

    python3 bench/hello_app.py PORT
"""
import sys

from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'Hello, World!'


app.run(host='127.0.0.1', port=int(sys.argv[1]))
