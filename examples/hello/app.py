"""Hello, World! on microdot's built-in HTTP/1.1 server (CPython or MicroPython).

    python3 examples/hello/app.py [PORT]        then open http://127.0.0.1:5000/
    micropython examples/hello/app.py [PORT]    with microdot on MICROPYPATH
"""
import sys

from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'Hello, World!'


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host='127.0.0.1', port=port, debug=True)
