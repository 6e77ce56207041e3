"""The counter example of the docs: ten events, one a second, then a named one.

    python examples/counter.py            (or: micropython examples/counter.py)
    curl -N http://127.0.0.1:5000/events
"""
import asyncio

from microdot import Microdot
from microdot.sse import with_sse

app = Microdot()


@app.route('/events')
@with_sse
async def events(request, sse):
    for i in range(10):
        await asyncio.sleep(1)
        await sse.send({'counter': i})  # unnamed event
    await sse.send('end', event='comment')  # named event


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=5000)
