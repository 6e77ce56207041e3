"""Hello with a Jinja template and a form (CPython only). Run it from this folder (templates/
is read relative to the current directory):

    pip install "microdot-templates[jinja]" "microdot-servers[wsgi]"
    gunicorn hello_wsgi:app                     then open http://127.0.0.1:8000/
"""
from microdot.wsgi import Microdot
from microdot.jinja import Template

app = Microdot()


@app.route('/')
async def index(request):
    # Jinja autoescapes .html templates: what the user typed shows as text
    name = request.args.get('name') or 'World'
    return Template('index.html').render(name=name), {'Content-Type': 'text/html; charset=UTF-8'}
