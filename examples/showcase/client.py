"""A page on another origin that calls the showcase's JSON API with cookies (the CORS demo).

    python3 examples/showcase/client.py [--port 5001] [--api http://127.0.0.1:5000]

Open http://127.0.0.1:5001/ in the browser where you logged in to the showcase: the answer
names your user, because the showcase allows this origin with credentials. Start it on a port
the showcase does not list (--port 5002) and the browser blocks the answer. The page's form
posts to the showcase's /logout: from an origin the showcase does not trust, microdot.csrf
refuses it with 403.
"""
import json
import os
import sys

from microdot import Microdot

HERE = os.path.dirname(os.path.abspath(__file__))


def create_client_app(api):
    app = Microdot()
    with open(os.path.join(HERE, 'client.html')) as f:
        page = f.read().replace('"__API__"', json.dumps(api.rstrip('/')))

    @app.get('/')
    async def index(request):
        return page, {'Content-Type': 'text/html; charset=UTF-8'}

    return app


if __name__ == '__main__':
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    port = int(args.get('--port', 5001))
    app = create_client_app(args.get('--api', 'http://127.0.0.1:5000'))
    print('showcase CORS client: http://127.0.0.1:{}/'.format(port), flush=True)
    app.run(host='127.0.0.1', port=port)
