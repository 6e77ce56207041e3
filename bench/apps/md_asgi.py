"""Microdot under an ASGI server: uvicorn md_asgi:app"""
from microdot.asgi import Microdot
from md_routes import add_routes

app = Microdot()
add_routes(app)
