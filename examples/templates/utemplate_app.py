"""Hello, World! with uTemplate templates (CPython or MicroPython). Run it from this folder:

    cd examples/templates
    python -m microdot.utemplate install       # once: the uTemplate engine (CPython)
    python utemplate_app.py [PORT]             then open http://127.0.0.1:5000/?name=you
    micropython utemplate_app.py [PORT]        with microdot/ and utemplate/ on MICROPYPATH

uTemplate compiles templates/index.html into templates/index_html.py on first use.
"""
import sys

from microdot import Microdot
from microdot.utemplate import Template, escape

app = Microdot()


@app.get('/')
async def index(request):
    name = request.args.get('name', 'World')
    # uTemplate escapes nothing: escape user input before it reaches the page
    return Template('index.html').render(name=escape(name)), {'Content-Type': 'text/html'}


@app.get('/count')
async def count(request):
    # a template as a stream: each chunk is sent as it is made
    return Template('count.html').generate_async(n=int(request.args.get('n', '100'))), \
        {'Content-Type': 'text/html'}


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host='127.0.0.1', port=port, debug=True)
