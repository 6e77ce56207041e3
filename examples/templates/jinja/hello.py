"""Hello with a Jinja template and a form (CPython only). Run it from this folder (templates/
is read relative to the current directory):

    pip install "microdot-templates[jinja]"
    python hello.py [PORT]                      then open http://127.0.0.1:5000/
"""
import sys

from microdot import Microdot
from microdot.jinja import Template

app = Microdot()


@app.route('/')
async def index(request):
    # Jinja autoescapes .html templates: what the user typed shows as text
    name = request.args.get('name') or 'World'
    return Template('index.html').render(name=name), {'Content-Type': 'text/html; charset=UTF-8'}


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host='127.0.0.1', port=port, debug=True)
