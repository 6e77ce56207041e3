"""Hello with a uTemplate template and a form. Run it from this folder (templates/ is read
relative to the current directory):

    python -m microdot.utemplate install       # once, on CPython: the uTemplate engine
    python hello.py [PORT]                      then open http://127.0.0.1:5000/
    micropython hello.py [PORT]                 with microdot/ and utemplate/ on MICROPYPATH
"""
import sys

from microdot import Microdot
from microdot.utemplate import Template, escape

app = Microdot()


@app.route('/')
async def index(request):
    # uTemplate escapes nothing: escape what the user typed before it reaches the page
    name = escape(request.args.get('name') or 'World')
    return Template('index.html').render(name=name), {'Content-Type': 'text/html; charset=UTF-8'}


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host='127.0.0.1', port=port, debug=True)
