"""Server-Sent Events for microdot: ``with_sse``, ``sse_response``, ``SSE`` and ``SSEExtension``.

The stream is an ordinary streamed response: its body is an async iterator (a class, since
MicroPython has no async generators) that the server writes chunk by chunk and flushes, and whose
``aclose()`` the server awaits when the client goes away or the response ends. So the same code runs
on the built-in server, in the test client, under ASGI and WSGI, and on MicroPython.

How one stream works:

* the handler runs in its own task, started when the server asks for the first chunk (after the
  response head is out), so a response that is never sent (HEAD, a hook that replaced it) never
  starts it;
* ``sse.send()`` encodes the event at once (a bad ``event`` or ``id`` fails in the handler, where
  the bug is) and queues the bytes; the body iterator hands everything queued to the server as one
  chunk. The queue is bounded: once ``max_buffer`` bytes wait for a slow client, ``send()`` waits;
* after ``heartbeat`` seconds without output the iterator emits a comment line, which keeps
  proxies from timing the connection out and makes a vanished client show up as a failed write;
* ``aclose()`` cancels the handler task and waits for it, so its ``finally`` blocks run before the
  connection is released. An exception in the handler is logged and ends the stream cleanly (the
  chunked body is terminated, the connection can be reused); it is never sent to the client.

Wire format: the WHATWG HTML "event stream" rules (section 9.2). Data lines are split on CR, LF
and CRLF into several ``data:`` fields, so the client gets the text back unchanged; a line break in
``event`` or ``id`` (or NUL in ``id``) is refused, since it would start a field of the attacker's
choosing; comment text is split into one comment line per line.
"""
import asyncio
import sys

try:
    import orjson as _json
except ImportError:
    import json as _json

try:
    from functools import wraps as _wraps
except ImportError:  # MicroPython
    def _wraps(wrapped):
        def decorator(wrapper):
            return wrapper
        return decorator

__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1  # the core extension API this plugin is written for
__all__ = ['SSE', 'SSEExtension', 'sse_response', 'with_sse', 'encode_event']

_MICROPYTHON = sys.implementation.name == 'micropython'

#: seconds without output after which a heartbeat comment is sent (0 or None: never)
DEFAULT_HEARTBEAT = 15
#: bytes of encoded events that may wait for a slow client before ``send()`` waits
DEFAULT_MAX_BUFFER = 4 * 1024 if _MICROPYTHON else 64 * 1024
HEARTBEAT = b': ping\n\n'
HEADERS = {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no',  # nginx (and proxies that follow it): pass each event on at once
}
_INHERIT = -1  # an option left at -1 takes its value from the app settings, then the default


def _log_exception(exc):
    sys.stderr.write('microdot.sse: the event handler failed, the stream was ended\n')
    if hasattr(sys, 'print_exception'):  # MicroPython
        sys.print_exception(exc, sys.stderr)
    else:
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__)


def _call_later():
    """The running loop's ``call_later``, or None where there is none (MicroPython)."""
    get_loop = getattr(asyncio, 'get_running_loop', None) or asyncio.get_event_loop
    return getattr(get_loop(), 'call_later', None)


# --- the wire format -----------------------------------------------------------------------------

def _to_bytes(data):
    if isinstance(data, (dict, list)):
        data = _json.dumps(data)  # orjson gives bytes, json str
    if isinstance(data, str):
        return data.encode('utf-8')
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    return str(data).encode('utf-8')


def _lines(data):
    """``data`` split on CRLF, CR and LF, the three line ends of the event-stream grammar."""
    return data.replace(b'\r\n', b'\n').replace(b'\r', b'\n').split(b'\n')


def _field_value(name, value, forbidden):
    if not isinstance(value, str):
        value = str(value)
    for c in forbidden:
        if c in value:
            raise ValueError('invalid SSE {}: it must not contain {!r}'.format(name, c))
    return value.encode('utf-8')


def encode_event(data, event=None, event_id=None, retry=None, comment=False):
    """One event (or comment) in the ``text/event-stream`` format, as bytes.

    ``data``: dict and list are sent as JSON, str as UTF-8, bytes as they are, anything else as
    ``str(data)``. ``retry`` is in seconds (written in milliseconds). ``comment=True`` sends
    ``data`` as a comment and ignores the other arguments."""
    lines = _lines(_to_bytes(data))
    if comment:
        return b''.join([b': ' + line + b'\n' for line in lines]) + b'\n'
    out = []
    if retry is not None:
        if retry < 0:
            raise ValueError('invalid SSE retry: it must not be negative')
        out.append(b'retry: ' + str(int(retry * 1000)).encode() + b'\n')
    if event:
        out.append(b'event: ' + _field_value('event', event, '\r\n') + b'\n')
    if event_id is not None:
        # an empty id is meaningful: it resets the client's last event id
        out.append(b'id: ' + _field_value('id', event_id, '\r\n\x00') + b'\n')
    for line in lines:
        out.append(b'data: ' + line + b'\n')
    out.append(b'\n')
    return b''.join(out)


# --- settings ------------------------------------------------------------------------------------

class SSEExtension:
    """SSE settings for an app, kept in ``app.extensions['sse']``.

    ``SSEExtension(app, heartbeat=15, max_buffer=65536)``, or ``ext = SSEExtension(...)`` then
    ``ext.initialize(app)``. ``heartbeat``: seconds without output after which a comment is sent
    (0 or None: no heartbeat). ``max_buffer``: bytes of events that may wait for a slow client
    before ``send()`` waits (at least one event is always accepted). ``with_sse(...)`` options
    override them per route."""

    name = 'sse'

    def __init__(self, app=None, heartbeat=DEFAULT_HEARTBEAT, max_buffer=DEFAULT_MAX_BUFFER):
        self.heartbeat = heartbeat
        self.max_buffer = max_buffer
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        app.add_extension(self.name, self)
        return self


def _setting(request, name, value, default):
    if value != _INHERIT:
        return value
    extensions = getattr(getattr(request, 'app', None), 'extensions', None)
    settings = extensions.get(SSEExtension.name) if extensions else None
    return getattr(settings, name) if settings is not None else default


# --- one stream ----------------------------------------------------------------------------------

class SSE:
    """The event stream of one client; the handler's ``sse`` argument.

    ``await sse.send(data, event=None, event_id=None, retry=None, comment=False)`` sends an event.
    ``sse.last_event_id`` is the client's ``Last-Event-ID`` header (a reconnecting browser sends
    the id of the last event it got), or None. ``sse.closed`` becomes True when the stream ended;
    a ``send()`` after that is dropped."""

    def __init__(self, last_event_id=None, max_buffer=DEFAULT_MAX_BUFFER):
        self.event = asyncio.Event()  # set when something was queued (or the handler ended)
        self.queue = []
        self.queued = 0  # bytes in the queue
        self.max_buffer = max_buffer
        self.last_event_id = last_event_id
        self.closed = False
        self._taken = None  # an Event while a send() waits for room (made then: RAM on boards)

    async def send(self, data, event=None, event_id=None, retry=None, comment=False):
        """Queue one event for the client; waits while ``max_buffer`` bytes are already queued."""
        chunk = encode_event(data, event=event, event_id=event_id, retry=retry, comment=comment)
        while self.queue and self.queued + len(chunk) > self.max_buffer and not self.closed:
            if self._taken is None:
                self._taken = asyncio.Event()
            self._taken.clear()
            await self._taken.wait()
        if self.closed:
            return
        self.queue.append(chunk)
        self.queued += len(chunk)
        self.event.set()

    def _take(self):
        chunk = self.queue[0] if len(self.queue) == 1 else b''.join(self.queue)
        self.queue = []
        self.queued = 0
        self._wake_senders()
        return chunk

    def _wake_senders(self):
        if self._taken is not None:
            self._taken.set()


class SSEStream:
    """The response body of an event stream: an async iterator whose chunks are queued events and
    heartbeats, and whose ``aclose()`` stops the handler."""

    def __init__(self, sse, handler, args, kwargs, heartbeat):
        self.sse = sse
        self.handler = handler
        self.args = args
        self.kwargs = kwargs
        self.heartbeat = heartbeat
        self.task = None
        self.done = False  # the handler returned, failed or was cancelled

    async def _run(self):
        try:
            await self.handler(*self.args, **self.kwargs)
        except Exception as exc:  # logged, never sent: the client only sees the stream end
            _log_exception(exc)
        finally:
            self.done = True
            self.sse.event.set()

    def __aiter__(self):
        return self

    async def __anext__(self):
        sse = self.sse
        if self.task is None:
            if sse.closed:
                raise StopAsyncIteration
            self.task = asyncio.create_task(self._run())
        while True:
            if sse.queue:
                return sse._take()
            if self.done:
                sse.closed = True
                raise StopAsyncIteration
            sse.event.clear()
            if not self.heartbeat:
                await sse.event.wait()
                continue
            call_later = _call_later()
            if call_later is None:  # MicroPython: no timer callbacks
                try:
                    await asyncio.wait_for(sse.event.wait(), self.heartbeat)
                except asyncio.TimeoutError:
                    return HEARTBEAT
                continue
            # CPython: a timer that sets the event costs far less than wait_for's task per wait
            timer = call_later(self.heartbeat, sse.event.set)
            try:
                await sse.event.wait()
            finally:
                timer.cancel()
            if not sse.queue and not self.done:
                return HEARTBEAT  # woken by the timer

    async def aclose(self):
        """Stop the handler (it sees CancelledError) and wait until its clean-up has run."""
        sse = self.sse
        sse.closed = True
        sse._wake_senders()  # a send() waiting for room returns
        task = self.task
        if task is None or self.done:
            return
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass


# --- the route helpers ---------------------------------------------------------------------------

def _sse_response(request, event_function, args, kwargs, heartbeat=_INHERIT, max_buffer=_INHERIT):
    sse = SSE(last_event_id=request.headers.get('Last-Event-ID'),
              max_buffer=_setting(request, 'max_buffer', max_buffer, DEFAULT_MAX_BUFFER))
    body = SSEStream(sse, event_function, (request, sse) + tuple(args), kwargs,
                     _setting(request, 'heartbeat', heartbeat, DEFAULT_HEARTBEAT))
    return body, 200, dict(HEADERS)


def sse_response(request, event_function, *args, **kwargs):
    """The response of an SSE route: ``event_function(request, sse, *args, **kwargs)`` (a
    coroutine function) runs while the client is connected and sends events with ``sse.send()``."""
    return _sse_response(request, event_function, args, kwargs)


def with_sse(f=None, heartbeat=_INHERIT, max_buffer=_INHERIT):
    """Decorator for an SSE route ``async def handler(request, sse, **url_args)``; its return
    value is ignored. Bare (``@with_sse``) or with options (``@with_sse(heartbeat=5)``)."""
    if f is None:
        def decorator(g):
            return with_sse(g, heartbeat, max_buffer)
        return decorator

    @_wraps(f)
    async def sse_handler(request, *args, **kwargs):
        return _sse_response(request, f, args, kwargs, heartbeat, max_buffer)

    return sse_handler
