"""Microdot's built-in server (CPython or MicroPython): md_builtin.py PORT"""
import sys

from microdot import Microdot
from md_routes import add_routes

app = Microdot()
add_routes(app)
app.run(host='127.0.0.1', port=int(sys.argv[1]))
