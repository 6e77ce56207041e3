"""ASGI 3.0 adapter: serve a Microdot app with uvicorn or any other ASGI server (CPython only).

Two ways to use it, the first as in Microdot 2.x::

    from microdot.asgi import Microdot      # a Microdot that is its own ASGI callable
    app = Microdot()

    from microdot import Microdot
    from microdot.asgi import ASGI          # or wrap any core app
    app = Microdot()
    asgi_app = ASGI(app)

What the server hands over is mapped onto the core's seams: an ``http`` scope becomes a
``Request`` (body read into memory up to ``max_body_length``, streamed beyond it), the response is
streamed message by message, a ``websocket`` scope sets ``request.ws_channel`` (used by
``microdot.websocket``), and ``lifespan`` runs the app's start-up and shut-down handlers.
"""
import asyncio

from microdot import (AsyncBytesIO, Request, Response, URLPattern, abort,  # noqa: F401 (2.x names)
                      iscoroutine, redirect, send_file)
from microdot.microdot import Microdot as BaseMicrodot, NoCaseDict, print_exception
from microdot._server_common import (BodyStream, HeaderNames, __version__,  # noqa: F401
                                     cached, client_gone_error, prepare_response, quote_path,
                                     signal_shutdown, split_mount, to_bytes, websocket_attribute)

MICRODOT_EXTENSION_API = 1

#: response header names as ASGI sends them (lower-case bytes), converted once per name
_RESPONSE_NAMES = HeaderNames(lambda name: name.lower().encode(), as_bytes=True)
#: request header names (lower-case bytes from the server) -> (name as the app sees it, its key)
_request_names = {}


def _request_name(raw):
    # the server lower-cases names; the app sees them title-cased, as Microdot 2.x gave them
    name = raw.decode('latin-1').title()
    return name, name.lower()


def __getattr__(name):
    # with_websocket, websocket_upgrade, WebSocket... come from microdot.websocket, imported on use
    return websocket_attribute(__name__, name)


# --- request body ------------------------------------------------------------------------------

class ASGIBodyStream(BodyStream):
    """``request.stream``: the rest of the body, read from ``http.request`` events on demand."""

    def __init__(self, receive, limit, prefix=b'', more_body=True, max_line=8192):
        self._receive = receive
        self._more_body = more_body
        BodyStream.__init__(self, limit, prefix, max_line)

    async def _pull(self, n):
        while self._more_body:
            message = await self._receive()
            if message['type'] != 'http.request':  # http.disconnect: the upload is incomplete
                self._more_body = False
                raise client_gone_error()
            self._more_body = message.get('more_body', False)
            data = message.get('body', b'')
            if data:
                return data
        return b''


# --- WebSocket channel -------------------------------------------------------------------------

class ASGIWebSocketChannel:
    """``request.ws_channel`` under ASGI: the server frames WebSocket messages, this object maps
    the core's channel interface (docs/architecture.md) onto ``websocket.*`` events."""

    def __init__(self, receive, send):
        self._receive = receive
        self._send = send
        self.connected = False  # websocket.connect received
        self.accepted = False
        self.closed = False
        self.close_code = None
        self.close_reason = ''

    async def _connect(self):
        if not self.connected:
            message = await self._receive()
            if message['type'] != 'websocket.connect':
                self._peer_closed(message)
                raise client_gone_error()
            self.connected = True

    def _peer_closed(self, message):
        self.closed = True
        code = message.get('code', 1005)
        if code == 1005 and 'reason' not in message:
            # uvicorn's default (websockets-sansio) implementation reports a connection lost
            # without a close frame as 1005 and no reason, where a received close frame always
            # comes with a reason; that is an abnormal closure (RFC 6455 7.1.5), as the built-in
            # server and uvicorn's other implementations report it
            code = 1006
        self.close_code = code
        self.close_reason = message.get('reason') or ''

    async def accept(self, subprotocol=None, headers=None):
        """Complete the handshake, optionally choosing a subprotocol and adding headers."""
        await self._connect()
        message = {'type': 'websocket.accept'}
        if subprotocol:
            message['subprotocol'] = subprotocol
        if headers:
            items = headers.items() if hasattr(headers, 'items') else headers
            message['headers'] = [(k.lower().encode('latin-1'), str(v).encode('latin-1'))
                                  for k, v in items]
        await self._send(message)
        self.accepted = True

    async def receive(self):
        """The next message (str or bytes), or None once the peer closed."""
        if self.closed:
            return None
        message = await self._receive()
        kind = message['type']
        if kind == 'websocket.receive':
            text = message.get('text')
            if text is not None:
                return text
            return message.get('bytes') or b''
        self._peer_closed(message)  # websocket.disconnect (or anything unexpected)
        return None

    async def send(self, data):
        if self.closed:
            raise client_gone_error()
        if isinstance(data, str):
            message = {'type': 'websocket.send', 'text': data}
        else:
            message = {'type': 'websocket.send', 'bytes': bytes(data)}
        try:
            await self._send(message)
        except OSError:
            self.closed = True
            raise client_gone_error()

    async def close(self, code=1000, reason=''):
        if self.closed:
            return
        self.closed = True
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
        try:
            await self._send({'type': 'websocket.close', 'code': code, 'reason': reason})
        except Exception:
            pass  # the peer is gone already


# --- the adapter -------------------------------------------------------------------------------

class ASGI:
    """The ASGI callable for one app, kept in ``app.extensions['asgi']``.

    ``lifespan_startup(scope)`` / ``lifespan_shutdown(scope)`` (sync or async) run on the lifespan
    events after the app's ``on_startup`` handlers and before its ``on_shutdown`` handlers.
    """

    def __init__(self, app=None, lifespan_startup=None, lifespan_shutdown=None):
        self.app = None
        self.lifespan_startup = lifespan_startup
        self.lifespan_shutdown = lifespan_shutdown
        self._startup = None  # a task (or a finished marker) once start-up handlers ran
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        if self.app is not None:
            raise RuntimeError('an ASGI adapter serves one app; create one per app')
        app.add_extension('asgi', self)
        self.app = app

    async def __call__(self, scope, receive, send):
        kind = scope['type']
        if kind == 'http':
            await self.handle_http(scope, receive, send)
        elif kind == 'websocket':
            await self.handle_websocket(scope, receive, send)
        elif kind == 'lifespan':
            await self.handle_lifespan(scope, receive, send)
        # other scope types are not ours: ignored, as the ASGI spec allows

    # -- lifespan --

    async def handle_lifespan(self, scope, receive, send):
        while True:
            message = await receive()
            if message['type'] == 'lifespan.startup':
                try:
                    await self._run_startup(scope)
                except Exception as exc:
                    print_exception(exc)
                    await send({'type': 'lifespan.startup.failed', 'message': repr(exc)})
                    return
                await send({'type': 'lifespan.startup.complete'})
            elif message['type'] == 'lifespan.shutdown':
                try:
                    await self._run_shutdown(scope)
                except Exception as exc:
                    print_exception(exc)
                    await send({'type': 'lifespan.shutdown.failed', 'message': repr(exc)})
                    return
                await send({'type': 'lifespan.shutdown.complete'})
                return

    async def _run_startup(self, scope):
        self._startup = True
        await self.app.run_startup_handlers()
        await _call(self.lifespan_startup, scope)

    async def _run_shutdown(self, scope):
        try:
            await _call(self.lifespan_shutdown, scope)
        finally:
            await self.app.run_shutdown_handlers()

    async def _ensure_started(self):
        # a server without lifespan support: start-up handlers run before the first request
        if self._startup is None:
            self._startup = asyncio.ensure_future(self.app.run_startup_handlers())
        if self._startup is not True:
            await asyncio.shield(self._startup)
            self._startup = True  # done: later requests skip this

    # -- requests --

    def make_request(self, scope, receive, send, method, body=b'', stream=None, headers=None):
        """The Request for a scope; ``headers``: its headers, translated (``_scope_headers``)."""
        if headers is None:
            headers = _scope_headers(scope)[0]
        # route on the undecoded path, exactly as the built-in server does
        raw_path = scope.get('raw_path')
        root_path = scope.get('root_path', '')
        if raw_path is not None:
            path = raw_path.decode('latin-1').partition('?')[0]
            if root_path:
                path = split_mount(path, _quote_path(root_path))
        else:
            path = split_mount(_quote_path(scope['path']), _quote_path(root_path))
        query = scope.get('query_string', b'')
        url = path + '?' + query.decode('latin-1') if query else path
        client = scope.get('client') or ('', 0)
        req = Request(self.app, tuple(client), method, url, scope.get('http_version', '1.1'),
                      headers, body=body, stream=stream, sock=(receive, send),
                      scheme=scope.get('scheme'))
        req.asgi_scope = scope
        return req

    async def handle_http(self, scope, receive, send):
        if self._startup is not True:
            await self._ensure_started()
        app = self.app
        body = b''
        stream = None
        try:
            headers, length = _scope_headers(scope)
            if length is None:
                # no Content-Length (chunked upload): small bodies are read into memory, as on
                # the built-in server; larger ones continue on the stream
                data, more_body = await _read_up_to(receive, app.max_body_length + 1)
                if not more_body and len(data) <= app.max_body_length:
                    body = data
                else:
                    stream = ASGIBodyStream(receive, app.max_content_length, prefix=data,
                                            more_body=more_body, max_line=app.max_readline)
            elif 0 < length <= app.max_body_length:
                body = await _read_body(receive, length)
            elif length > 0:
                stream = ASGIBodyStream(receive, app.max_content_length, max_line=app.max_readline)
            req = self.make_request(scope, receive, send, scope.get('method', 'GET'), body, stream,
                                    headers)
            if length is None and stream is None:
                req.content_length = len(body)
        except OSError:
            return  # the client went away while sending the body
        except Exception as exc:  # HTTPException (413, 400) or a malformed scope
            status = getattr(exc, 'status_code', 400)
            res = await app.error_response(None, status, getattr(exc, 'reason', None))
            await self.send_response(res, receive, send)
            return
        res = await app.dispatch_request(req)
        if res is Response.already_handled:
            return
        await self.send_response(res, receive, send)

    async def send_response(self, res, receive, send):
        res, headers = prepare_response(res, _RESPONSE_NAMES)
        await send({'type': 'http.response.start', 'status': res.status_code,
                    'headers': headers})
        body = res.body
        if res.is_head or body is None or isinstance(body, bytes):
            if not res.is_head and body:
                await send({'type': 'http.response.body', 'body': body})
            else:
                await send({'type': 'http.response.body'})
            if res.is_head and body is not None and not isinstance(body, bytes):
                await res.body_iter().aclose()
            return
        await _stream_body(res.body_iter(), receive, send)

    # -- WebSocket --

    async def handle_websocket(self, scope, receive, send):
        if self._startup is not True:
            await self._ensure_started()
        channel = ASGIWebSocketChannel(receive, send)
        try:
            req = self.make_request(scope, receive, send, 'GET')
        except Exception as exc:
            res = await self.app.error_response(None, getattr(exc, 'status_code', 400),
                                                getattr(exc, 'reason', None))
            await _refuse_websocket(scope, channel, res)
            return
        req.ws_channel = channel
        res = await self.app.dispatch_request(req)
        if channel.accepted:
            await channel.close(1000)  # a no-op when the handler or the peer closed already
        elif not channel.closed:
            await _refuse_websocket(scope, channel, res)


class Microdot(BaseMicrodot):
    """A Microdot app that is its own ASGI callable (2.x ``microdot.asgi.Microdot``)."""

    def __init__(self, lifespan_startup=None, lifespan_shutdown=None):
        BaseMicrodot.__init__(self)
        self.embedded_server = False
        ASGI(self, lifespan_startup, lifespan_shutdown)

    @property
    def lifespan_startup(self):
        return self.extensions['asgi'].lifespan_startup

    @lifespan_startup.setter
    def lifespan_startup(self, f):
        self.extensions['asgi'].lifespan_startup = f

    @property
    def lifespan_shutdown(self):
        return self.extensions['asgi'].lifespan_shutdown

    @lifespan_shutdown.setter
    def lifespan_shutdown(self, f):
        self.extensions['asgi'].lifespan_shutdown = f

    async def __call__(self, scope, receive, send):
        await self.extensions['asgi'](scope, receive, send)

    async def asgi_app(self, scope, receive, send):
        """The ASGI entry point (2.x name)."""
        await self.extensions['asgi'](scope, receive, send)

    def run(self, host='0.0.0.0', port=5000, debug=False, ssl=None, **options):
        """Serve with the built-in server (development); use an ASGI server in production."""
        self.embedded_server = True
        BaseMicrodot.run(self, host=host, port=port, debug=debug, ssl=ssl)

    def shutdown(self):
        """Stop the server: the built-in one directly, an ASGI server by SIGTERM to its master."""
        if self.embedded_server:
            BaseMicrodot.shutdown(self)
        else:
            signal_shutdown()


# --- helpers -----------------------------------------------------------------------------------

async def _call(f, *args):
    if f is not None:
        ret = f(*args)
        if iscoroutine(ret):
            await ret


def _quote_path(path):
    # only for servers that give no raw_path: percent-encode what the server decoded
    if not path:
        return path
    return quote_path(path)


def _scope_headers(scope):
    """``(headers, length)`` of a scope, in one pass over its headers: a NoCaseDict of str
    values (UTF-8, else latin-1; a repeated header keeps the last value, as the built-in server
    does) and the declared Content-Length: the first one, 0 without one, None for a chunked
    upload. An invalid Content-Length raises ValueError."""
    headers = NoCaseDict()
    set_header = headers.set_lowered
    names = _request_names
    length = None
    has_te = False
    for raw_name, value in scope.get('headers', ()):
        name = names.get(raw_name)
        if name is None:
            name = cached(names, raw_name, _request_name)
        if raw_name == b'content-length':
            if length is None:
                length = value.strip()
                if not length.isdigit():  # bytes: ASCII digits only
                    raise ValueError('invalid Content-Length')
        elif raw_name == b'transfer-encoding':
            has_te = True
        try:
            value = value.decode()
        except UnicodeError:
            value = value.decode('latin-1')
        set_header(name[0], name[1], value)
    if length is not None:
        return headers, int(length)
    return headers, None if has_te else 0


async def _read_body(receive, length):
    """The whole body of a request announced at ``length`` bytes (already checked against the
    app's limit); the server enforces the framing."""
    parts = []
    more_body = True
    while more_body:
        message = await receive()
        if message['type'] != 'http.request':
            raise client_gone_error()
        parts.append(message.get('body', b''))
        more_body = message.get('more_body', False)
    return b''.join(parts)


async def _read_up_to(receive, n):
    """At least ``n`` bytes of body unless it ends first: ``(data, more_body)``."""
    data = b''
    more_body = True
    while more_body and len(data) < n:
        message = await receive()
        if message['type'] != 'http.request':
            raise client_gone_error()
        data += message.get('body', b'')
        more_body = message.get('more_body', False)
    return data, more_body


async def _send_chunks(body_iter, send):
    while True:
        try:
            chunk = await body_iter.__anext__()
        except StopAsyncIteration:
            break
        chunk = to_bytes(chunk)
        if chunk:
            await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
    await send({'type': 'http.response.body'})


async def _wait_disconnect(receive):
    while (await receive())['type'] != 'http.disconnect':
        pass  # request body the handler did not read


async def _stream_body(body_iter, receive, send):
    """Send a streamed body chunk by chunk; stop (and close the iterator) if the client leaves."""
    sender = asyncio.ensure_future(_send_chunks(body_iter, send))
    watcher = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        await asyncio.wait((sender, watcher), return_when=asyncio.FIRST_COMPLETED)
        if not sender.done():  # the client went away: stop the stream, the handler cleans up
            sender.cancel()
        try:
            await sender
        except asyncio.CancelledError:
            if not watcher.done():
                raise  # we are being cancelled ourselves
    finally:
        watcher.cancel()
        if not sender.done():
            sender.cancel()
        await body_iter.aclose()


async def _refuse_websocket(scope, channel, res):
    """A WebSocket request the app did not accept: answer with its HTTP response when the server
    supports that extension, else close (the server then answers 403)."""
    try:
        await channel._connect()
    except OSError:
        return
    channel.closed = True
    if res is None or res is Response.already_handled or \
            'websocket.http.response' not in (scope.get('extensions') or {}):
        await channel._send({'type': 'websocket.close', 'code': 1008})
        return
    res, headers = prepare_response(res, _RESPONSE_NAMES)
    body = res.body if isinstance(res.body, bytes) else b''
    headers = [pair for pair in headers if pair[0] != b'content-length']
    headers.append((b'content-length', str(len(body)).encode()))
    await channel._send({'type': 'websocket.http.response.start', 'status': res.status_code,
                         'headers': headers})
    await channel._send({'type': 'websocket.http.response.body', 'body': body})
