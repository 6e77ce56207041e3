"""CORS: a JSON API that pages from one other origin may call with cookies.

    python3 examples/cors/cors.py [PORT] [ALLOWED_ORIGIN]
    micropython examples/cors/cors.py [PORT] [ALLOWED_ORIGIN]

ALLOWED_ORIGIN defaults to http://127.0.0.1:8000. Serve the page of this folder from there
(``python3 -m http.server --bind 127.0.0.1 8000 -d examples/cors``), open
http://127.0.0.1:8000/ and press the button: the page's script calls this API across origins.
From any other origin the browser blocks the answer. With curl:

    curl -i -H 'Origin: http://127.0.0.1:8000' http://127.0.0.1:5000/api/time

Needs microdot-core and microdot-cors.
"""
import sys
import time

from microdot import Microdot
from microdot.cors import CORS

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
allowed_origin = sys.argv[2] if len(sys.argv) > 2 else 'http://127.0.0.1:8000'

app = Microdot()
CORS(app, allowed_origins=[allowed_origin], allow_credentials=True)


@app.get('/api/time')
async def now(request):
    return {'time': time.time()}


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port, debug=True)
