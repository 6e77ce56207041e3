"""Hello with a uTemplate template and a form. Run it from this folder (templates/ is read
relative to the current directory):

    python -m microdot.utemplate install       # once: the uTemplate engine
    gunicorn hello_wsgi:app                     then open http://127.0.0.1:8000/
"""
from microdot.wsgi import Microdot
from microdot.utemplate import Template, escape

app = Microdot()


@app.route('/')
async def index(request):
    # uTemplate escapes nothing: escape what the user typed before it reaches the page
    name = escape(request.args.get('name') or 'World')
    return Template('index.html').render(name=name), {'Content-Type': 'text/html; charset=UTF-8'}
