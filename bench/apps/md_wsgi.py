"""Microdot under a WSGI server: gunicorn md_wsgi:app"""
from microdot.wsgi import Microdot
from md_routes import add_routes

app = Microdot()
add_routes(app)
