"""Hello, World! with Jinja templates (CPython). Run it from this folder:

    cd examples/templates
    pip install "microdot-templates[jinja]"
    python jinja_app.py [PORT]                 then open http://127.0.0.1:5000/?name=you
"""
import sys

from microdot import Microdot
from microdot.jinja import Template

app = Microdot()
Template.initialize('templates', enable_async=True)


@app.get('/')
async def index(request):
    # HTML templates are autoescaped: a name like <script> shows as text
    return await Template('hello.jinja.html').render_async(
        name=request.args.get('name', 'World')), {'Content-Type': 'text/html'}


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host='127.0.0.1', port=port, debug=True)
