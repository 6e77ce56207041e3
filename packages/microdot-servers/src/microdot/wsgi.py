"""WSGI (PEP 3333) adapter: serve a Microdot app with gunicorn or any other WSGI server
(CPython only).

Two ways to use it, the first as in Microdot 2.x::

    from microdot.wsgi import Microdot      # a Microdot that is its own WSGI callable
    app = Microdot()

    from microdot import Microdot
    from microdot.wsgi import WSGI          # or wrap any core app
    app = Microdot()
    wsgi_app = WSGI(app)

Handlers stay async. Each worker process has one asyncio event loop. Under a multithreaded
server (gunicorn's ``gthread``) it runs in a daemon thread and the server's threads hand each
request to it and wait, so concurrent requests never share a loop unsafely and app-wide asyncio
objects (locks, queues, background tasks) keep working between requests. Under a single-threaded
server (``sync`` worker) the worker's thread runs the loop itself while it serves a request.

WebSocket needs the raw connection: under gunicorn a WebSocket request gets ``request.sock`` as a
``(reader, writer)`` stream pair on a dup of ``gunicorn.socket``, so ``microdot.websocket`` speaks
RFC 6455 itself. Use ``--worker-class gthread`` (each open WebSocket or SSE stream holds one
thread; the ``sync`` worker would be killed by its ``--timeout``). See docs/deployment.md.
"""
import asyncio
import atexit
import errno
import os
import socket
import threading
from inspect import iscoroutinefunction

from microdot import (AsyncBytesIO, Request, Response, URLPattern, abort,  # noqa: F401 (2.x names)
                      iscoroutine, redirect, send_file)
from microdot.http11 import reason_phrase
from microdot.microdot import Microdot as BaseMicrodot, NoCaseDict, print_exception
from microdot._server_common import (HOP_BY_HOP, BodyStream, HeaderNames,  # noqa: F401
                                     __version__, cached, prepare_response, quote_path,
                                     signal_shutdown, to_bytes, websocket_attribute)

MICRODOT_EXTENSION_API = 1

#: response header names as sent (PEP 3333 forbids hop-by-hop headers: dropped)
_RESPONSE_NAMES = HeaderNames(lambda name: None if name.lower() in HOP_BY_HOP else name,
                              as_bytes=False)
#: environ keys -> the request header name they carry (None: not a header), made once per key
_environ_names = {}
#: status line of each status code with its standard reason phrase
_status_lines = {}

#: bytes asked from ``wsgi.input`` per read of a streamed request body
READ_SIZE = 65536


def __getattr__(name):
    # with_websocket, websocket_upgrade, WebSocket... come from microdot.websocket, imported on use
    return websocket_attribute(__name__, name)


class _Process:
    """This process's id, kept current across ``fork()`` by a hook: comparing with it costs no
    system call (``os.getpid()`` is one, and the adapter asks on every request)."""

    pid = os.getpid()

    @staticmethod
    def forked():
        _Process.pid = os.getpid()


os.register_at_fork(after_in_child=_Process.forked)


# --- the event loop ----------------------------------------------------------------------------

class LoopThread:
    """The asyncio event loop of this process, in one of two modes:

    * threaded (the default, and for any multithreaded server such as gunicorn's ``gthread``):
      the loop runs forever in a daemon thread, and the server's threads hand it coroutines;
    * driven (for a server that calls the app from one thread only, ``wsgi.multithread`` false,
      such as gunicorn's ``sync`` worker): the calling thread runs the loop while it serves a
      request, which saves a thread switch per request; the loop is idle between requests.

    Started on first use and again after a fork (gunicorn loads the app in the arbiter with
    ``--preload`` and forks workers: neither a thread nor a loop's selector survives a fork).
    """

    def __init__(self):
        self.loop = None
        self.pid = None
        self.threaded = True
        self._lock = threading.Lock()

    def get_loop(self, threaded=None):
        """The loop, started if needed; ``threaded`` chooses the mode when it starts."""
        if self.pid != _Process.pid:
            with self._lock:
                if self.pid != os.getpid():
                    self.threaded = True if threaded is None else bool(threaded)
                    loop = asyncio.new_event_loop()
                    if self.threaded:
                        ready = threading.Event()
                        thread = threading.Thread(target=self._run, args=(loop, ready),
                                                  name='microdot-wsgi-loop', daemon=True)
                        thread.start()
                        ready.wait()
                    self.loop = loop
                    self.pid = os.getpid()
        return self.loop

    @staticmethod
    def _run(loop, ready):
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()

    def run(self, coro):
        """Run a coroutine on the loop and wait for its result (from any other thread).

        Threaded: what ``asyncio.run_coroutine_threadsafe(coro, loop).result()`` does, with a
        plain lock as the signal instead of a concurrent Future: this hop happens on every
        request, and the lighter primitive makes it about a third cheaper.
        """
        loop = self.get_loop()
        if not self.threaded:
            return loop.run_until_complete(coro)
        handoff = _Handoff(loop, coro)
        loop.call_soon_threadsafe(handoff.start)
        handoff.done.acquire()
        outcome = handoff.outcome
        if isinstance(outcome, BaseException):  # pragma: no cover
            raise outcome
        return outcome.result()

    def stop(self):
        if self.loop is not None and self.pid == os.getpid():
            if self.threaded:
                self.loop.call_soon_threadsafe(self.loop.stop)
            self.pid = None


class _Handoff:
    """One coroutine handed to the loop's thread: ``start`` runs there, ``done`` is released
    when ``outcome`` (the finished task, or the error that kept it from starting) is set."""

    __slots__ = ('loop', 'coro', 'done', 'outcome')

    def __init__(self, loop, coro):
        self.loop = loop
        self.coro = coro
        self.done = threading.Lock()
        self.done.acquire()
        self.outcome = None

    def start(self):
        try:
            task = self.loop.create_task(self.coro)
        except BaseException as exc:  # pragma: no cover (the loop is shutting down)
            self.finished(exc)
            return
        task.add_done_callback(self.finished)

    def finished(self, outcome):
        self.outcome = outcome
        self.done.release()


# --- request body ------------------------------------------------------------------------------

class WSGIBodyStream(BodyStream):
    """``request.stream``: ``wsgi.input`` read on demand, off the event loop (it blocks)."""

    def __init__(self, wsgi_input, limit, remaining=None, prefix=b'', max_line=8192):
        self._input = wsgi_input
        self._remaining = remaining  # None: the server ends the input (chunked upload)
        BodyStream.__init__(self, limit, prefix, max_line)

    async def _pull(self, n):
        n = max(n, READ_SIZE)
        if self._remaining is not None:
            if self._remaining <= 0:
                return b''
            n = min(n, self._remaining)
        data = await asyncio.get_running_loop().run_in_executor(None, self._input.read, n)
        if self._remaining is not None:
            if not data:  # PEP 3333: fewer bytes than announced means the client went away
                raise ConnectionResetError(104, 'Connection lost')
            self._remaining -= len(data)
        return data


class StreamWriter:
    """The writer half of ``request.sock`` under gunicorn: ``awrite``/``aclose`` over asyncio's."""

    def __init__(self, writer):
        self.writer = writer

    def write(self, data):
        self.writer.write(data)

    async def drain(self):
        await self.writer.drain()

    async def awrite(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def aclose(self):
        if not self.writer.is_closing():
            self.writer.close()
        try:
            await self.writer.wait_closed()
        except Exception:
            pass

    def get_extra_info(self, name, default=None):
        return self.writer.get_extra_info(name, default)


# --- response body -----------------------------------------------------------------------------

class WSGIBody:
    """The WSGI response iterable for a streamed body: each chunk is produced on the event loop.

    The server calls ``close()`` when the response ends or the client went away; the body
    iterator's ``aclose()`` then runs, so handlers get their clean-up. A server only learns that
    a client left when a write fails, which never happens while a stream waits for its next
    event (an idle SSE stream would hold its thread for ever); so with a plain socket in the
    environ (gunicorn) the wait also watches the connection, and a client that closed it ends
    the stream at once, as a broken pipe.
    """

    def __init__(self, loop_thread, body_iter, sock=None):
        self.loop_thread = loop_thread
        self.body_iter = body_iter
        self.sock = sock if _watchable(sock) else None
        self.closed = False

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            try:
                chunk = self.loop_thread.run(self._next_chunk())
            except StopAsyncIteration:
                raise StopIteration
            chunk = to_bytes(chunk)
            if chunk:
                return chunk

    async def _next_chunk(self):
        if self.sock is None:
            return await self.body_iter.__anext__()
        loop = asyncio.get_running_loop()
        chunk = asyncio.ensure_future(self.body_iter.__anext__())
        gone = loop.create_future()
        fd = self.sock.fileno()

        def readable():
            try:
                data = self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                data = b''
            loop.remove_reader(fd)  # data (a pipelined request) or EOF: either way, stop looking
            if not data and not gone.done():
                gone.set_result(None)

        loop.add_reader(fd, readable)
        try:
            await asyncio.wait((chunk, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            loop.remove_reader(fd)
        if chunk.done():
            return chunk.result()
        chunk.cancel()
        try:
            await chunk
        except BaseException:
            pass
        self.sock = None
        raise BrokenPipeError(errno.EPIPE, 'client closed the connection')

    def close(self):
        if not self.closed:
            self.closed = True
            self.loop_thread.run(self.body_iter.aclose())


# --- the adapter -------------------------------------------------------------------------------

class WSGI:
    """The WSGI callable for one app, kept in ``app.extensions['wsgi']``.

    The app's ``on_startup`` handlers run before the first request of each worker process, its
    ``on_shutdown`` handlers when that process exits.
    """

    def __init__(self, app=None):
        self.app = None
        self.loop_thread = LoopThread()
        self._started_pid = None
        self._start_lock = threading.Lock()
        self.under_gunicorn = False
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        if self.app is not None:
            raise RuntimeError('a WSGI adapter serves one app; create one per app')
        app.add_extension('wsgi', self)
        self.app = app

    # -- lifecycle --

    def _ensure_started(self, environ):
        self.loop_thread.get_loop(threaded=environ.get('wsgi.multithread', True))
        with self._start_lock:
            if self._started_pid != os.getpid():
                self.loop_thread.run(self.app.run_startup_handlers())
                self._started_pid = os.getpid()
                _register_exit(self._at_exit, self._started_pid)

    def _at_exit(self, pid):
        if pid == os.getpid() and self._started_pid == pid:
            self._started_pid = None
            try:
                self.loop_thread.run(self.app.run_shutdown_handlers())
            except Exception as exc:
                print_exception(exc)
            self.loop_thread.stop()

    # -- requests --

    def make_request(self, environ, body=b'', stream=None, sock=None):
        headers = NoCaseDict()
        set_header = headers.set_lowered
        names = _environ_names
        for key, value in environ.items():
            name = names.get(key, False)
            if name is False:
                name = cached(names, key, _header_name)
            if name is not None:
                set_header(name[0], name[1], value if value.isascii() else _wsgi_text(value))
        if environ.get('CONTENT_TYPE'):
            headers['Content-Type'] = _wsgi_text(environ['CONTENT_TYPE'])
        if environ.get('CONTENT_LENGTH'):
            headers['Content-Length'] = environ['CONTENT_LENGTH']
        url = _request_path(environ)
        query = environ.get('QUERY_STRING')
        if query:
            url += '?' + query
        client = (environ.get('REMOTE_ADDR', ''), int(environ.get('REMOTE_PORT') or 0))
        version = environ.get('SERVER_PROTOCOL', 'HTTP/1.1').partition('/')[2] or '1.1'
        req = Request(self.app, client, environ['REQUEST_METHOD'], url, version, headers,
                      body=body, stream=stream, sock=sock, scheme=environ.get('wsgi.url_scheme'))
        req.environ = environ
        return req

    def __call__(self, environ, start_response):
        app = self.app
        if self._started_pid != _Process.pid:
            self.under_gunicorn = 'gunicorn.socket' in environ
            try:
                self._ensure_started(environ)
            except Exception as exc:
                # the app cannot serve yet: answer 500 and try the start-up again next time
                print_exception(exc)
                res = self.loop_thread.run(app.error_response(None, 500))
                return self._respond(environ, start_response, res)
        try:
            req, upgrade = self._read_request(environ)
        except Exception as exc:  # HTTPException (413, 400) or a broken environ
            res = self.loop_thread.run(app.error_response(
                None, getattr(exc, 'status_code', 400), getattr(exc, 'reason', None)))
            return self._respond(environ, start_response, res)
        if upgrade:
            sock = environ['gunicorn.socket']
            try:
                res = self.loop_thread.run(self._dispatch_with_socket(req, sock))
            finally:
                # the duplicate shares the file status flags and asyncio made it non-blocking:
                # give the server back the socket in the mode it expects
                _restore_blocking(sock)
        else:
            res = self.loop_thread.run(app.dispatch_request(req))
        if res is Response.already_handled:
            # the handler took the connection over (WebSocket) and is done with it: make sure
            # the server can write nothing more on it
            _shut(environ.get('gunicorn.socket'))
            start_response('200 OK', [('Connection', 'close')])
            return []
        return self._respond(environ, start_response, res)

    def _read_request(self, environ):
        app = self.app
        body = b''
        stream = None
        length = environ.get('CONTENT_LENGTH')
        length = int(length) if length else None
        wsgi_input = environ.get('wsgi.input')
        chunked = length is None and 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower()
        if length is not None and 0 < length <= app.max_body_length:
            body = wsgi_input.read(length)
            if len(body) < length:
                raise ConnectionResetError(104, 'Connection lost')
        elif length is not None and length > app.max_body_length:
            stream = WSGIBodyStream(wsgi_input, app.max_content_length, length,
                                    max_line=app.max_readline)
        elif chunked and environ.get('wsgi.input_terminated'):
            # chunked upload (the server decodes it and ends the input): small ones in memory
            data = _read_up_to(wsgi_input, app.max_body_length + 1)
            if len(data) <= app.max_body_length:
                body = data
                chunked = False
            else:
                stream = WSGIBodyStream(wsgi_input, app.max_content_length, prefix=data,
                                        max_line=app.max_readline)
        upgrade = 'gunicorn.socket' in environ and 'HTTP_UPGRADE' in environ
        req = self.make_request(environ, body, stream, None)
        if length is None and not chunked:
            req.content_length = len(body)
        return req, upgrade

    async def _dispatch_with_socket(self, req, gunicorn_socket):
        # a dup of the connection's socket, as an asyncio stream pair (what 2.x did as well)
        sock = gunicorn_socket.dup()
        reader, writer = await asyncio.open_connection(sock=sock, limit=2 ** 20)
        writer = StreamWriter(writer)
        req.sock = (reader, writer)
        try:
            return await self.app.dispatch_request(req)
        finally:
            await writer.aclose()

    def _respond(self, environ, start_response, res):
        # PEP 3333 strings carry bytes as latin-1: values are sent as UTF-8, as the built-in
        # server does
        res, headers = prepare_response(res, _RESPONSE_NAMES)
        start_response(_status_line(res.status_code, res.reason), headers)
        body = res.body
        if res.is_head or body is None or isinstance(body, bytes):
            if res.is_head and body is not None and not isinstance(body, bytes):
                self.loop_thread.run(res.body_iter().aclose())
                return []
            return [body] if body and not res.is_head else []
        file_wrapper = environ.get('wsgi.file_wrapper')
        if file_wrapper is not None and hasattr(body, 'fileno') and hasattr(body, 'read') and \
                not iscoroutinefunction(body.read):
            # a real file: the server may send it with sendfile()
            return file_wrapper(body, max(Response.send_file_buffer_size, 8192))
        return WSGIBody(self.loop_thread, res.body_iter(), environ.get('gunicorn.socket'))


class Microdot(BaseMicrodot):
    """A Microdot app that is its own WSGI callable (2.x ``microdot.wsgi.Microdot``)."""

    def __init__(self):
        BaseMicrodot.__init__(self)
        self.embedded_server = False
        WSGI(self)

    @property
    def loop(self):
        """The event loop handlers run on in this process (2.x attribute)."""
        return self.extensions['wsgi'].loop_thread.get_loop()

    def __call__(self, environ, start_response):
        return self.extensions['wsgi'](environ, start_response)

    def wsgi_app(self, environ, start_response):
        """The WSGI entry point (2.x name)."""
        return self.extensions['wsgi'](environ, start_response)

    def run(self, host='0.0.0.0', port=5000, debug=False, ssl=None, **options):
        """Serve with the built-in server (development); use a WSGI server in production."""
        self.embedded_server = True
        BaseMicrodot.run(self, host=host, port=port, debug=debug, ssl=ssl)

    def shutdown(self):
        """Stop the server: the built-in one directly, gunicorn by SIGTERM to its arbiter."""
        if self.embedded_server:
            BaseMicrodot.shutdown(self)
        else:
            signal_shutdown(self.extensions['wsgi'].under_gunicorn)


# --- helpers -----------------------------------------------------------------------------------

def _register_exit(f, *args):
    # Shut-down handlers may be sync and run in the loop's thread pool, which refuses work once
    # the interpreter's own at-exit hooks ran. threading's at-exit hooks run earlier (before
    # non-daemon threads are joined), newest first, so register there when this Python has it.
    register = getattr(threading, '_register_atexit', None)
    if register is not None:
        register(f, *args)
    else:  # pragma: no cover
        atexit.register(f, *args)


def _native(text):
    return text.encode().decode('latin-1')


def _header_name(key):
    # HTTP_USER_AGENT -> ('User-Agent', 'user-agent'); other environ keys are not headers
    if not key.startswith('HTTP_'):
        return None
    name = key[5:].replace('_', '-').title()
    return name, name.lower()


def _status_line(status, reason):
    if reason:
        return '{} {}'.format(status, _native(reason))
    line = _status_lines.get(status)
    if line is None:
        line = cached(_status_lines, status, _standard_status_line)
    return line


def _standard_status_line(status):
    return '{} {}'.format(status, reason_phrase(status) or 'Unknown')


def _wsgi_text(value):
    # PEP 3333 "native strings" carry the raw bytes as latin-1; headers are UTF-8 on the built-in
    # server, so decode the same way (keeping latin-1 for bytes that are not UTF-8)
    try:
        return value.encode('latin-1').decode()
    except UnicodeError:
        return value


def _request_path(environ):
    """The undecoded path the app routes on, without the mount point (SCRIPT_NAME).

    The core matches routes on the path as sent and decodes the arguments itself, so the raw
    request target is used when the server tells it (gunicorn's RAW_URI, REQUEST_URI); otherwise
    PATH_INFO (decoded by the server) is percent-encoded again.
    """
    script_name = environ.get('SCRIPT_NAME', '')
    raw = environ.get('RAW_URI') or environ.get('REQUEST_URI')
    if raw:
        path = raw.partition('?')[0]
        if path.startswith('http://') or path.startswith('https://'):  # absolute-form target
            slash = path.find('/', path.find('//') + 2)
            path = path[slash:] if slash > 0 else '/'
        if not script_name:
            return path or '/'
        mount = quote_path(script_name.encode('latin-1'))
        if path == mount or path.startswith(mount + '/'):
            return path[len(mount):] or '/'
    path_info = environ.get('PATH_INFO', '')
    return quote_path(path_info.encode('latin-1')) or '/'


def _read_up_to(wsgi_input, n):
    data = b''
    while len(data) < n:
        more = wsgi_input.read(n - len(data))
        if not more:
            break
        data += more
    return data


def _watchable(sock):
    """A plain (not TLS) socket whose end of stream can be seen with a non-blocking peek."""
    if sock is None or not hasattr(sock, 'fileno'):
        return False
    try:
        import ssl
        if isinstance(sock, ssl.SSLSocket):
            return False
    except ImportError:  # pragma: no cover
        pass
    return True


def _restore_blocking(sock):
    try:
        sock.settimeout(sock.gettimeout())  # re-applies O_NONBLOCK as the socket object has it
    except OSError:
        pass


def _shut(sock):
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
