"""The showcase under an ASGI server (uvicorn; one worker, the chat room lives in the process):

    pip install "microdot-servers[asgi]"
    uvicorn --app-dir examples/showcase asgi_app:app --port 5000
"""
from microdot.asgi import Microdot

from app import create_app

app = create_app(Microdot())
