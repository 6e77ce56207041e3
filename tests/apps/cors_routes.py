"""CORS routes of the conformance app (MicroPython-safe).

Two configurations, each on its own sub-app mounted with ``local=True``, so that the CORS headers
stay on ``/cors/...`` and the other plugins' routes are untouched:

* ``/cors/creds/...``: a list of origins (``https://example.com``, subdomains of ``example.org``,
  ``null``) with credentials, configured methods and headers, exposed ``X-Total``, max age 600;
* ``/cors/any/...``: any origin, no credentials; preflights get what they ask for.
"""
from microdot import Microdot, Response, abort
from microdot.cors import CORS


def add_routes(sub):
    @sub.route('/items', methods=['GET', 'POST'])
    def items(request):
        return 'items', {'X-Total': '2'}

    @sub.route('/opts', methods=['GET', 'OPTIONS'])
    def opts(request):
        if request.method == 'OPTIONS':
            return 'app options', {'X-App-Options': 'yes'}
        return 'opts'

    @sub.get('/vary')
    def vary(request):
        return 'varies', {'Vary': 'Accept-Encoding'}

    @sub.get('/boom')
    def boom(request):
        raise RuntimeError('boom (expected by the CORS conformance tests)')

    @sub.get('/forbidden')
    def forbidden(request):
        abort(403)

    @sub.get('/stream')
    def stream(request):
        return Response(iter([b'a', b'b', b'c']))


def install(app):
    creds = Microdot()
    add_routes(creds)
    CORS(creds, allowed_origins=['https://example.com', 'https://*.example.org', 'null'],
         allow_credentials=True, allowed_methods=['GET', 'POST', 'PUT'],
         allowed_headers=['Content-Type', 'X-Token'], expose_headers=['X-Total'], max_age=600)
    app.mount(creds, url_prefix='/cors/creds', local=True)

    anyone = Microdot()
    add_routes(anyone)
    CORS(anyone, allowed_origins='*')
    app.mount(anyone, url_prefix='/cors/any', local=True)
