"""The showcase under a WSGI server (gunicorn, one worker with threads: each WebSocket and each
SSE stream holds a thread while it is open, and the chat room lives in the process):

    pip install "microdot-servers[wsgi]"
    gunicorn --chdir examples/showcase -k gthread --threads 32 -b 127.0.0.1:5000 wsgi_app:app
"""
from microdot.wsgi import Microdot

from app import create_app

app = create_app(Microdot())
