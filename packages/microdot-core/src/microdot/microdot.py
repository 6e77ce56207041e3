"""The microdot application, and every Microdot 2.x name (``from microdot.microdot import ...``).

This module runs on CPython and MicroPython; capabilities are feature-detected, never
version-checked. The pieces live in small modules: ``http11`` (sans-IO HTTP/1.1), ``server`` (the
built-in server), ``request``, ``response``, ``routing``, ``datastructures`` and ``runtime``.
"""
import asyncio

from .datastructures import (  # noqa: F401
    AsyncBytesIO, MultiDict, NoCaseDict, urldecode, urlencode)
from .http11 import HTTPException, ProtocolError  # noqa: F401
from .request import Request
from .response import Response, send_from_directory  # noqa: F401
from .routing import URLPattern
from .runtime import (  # noqa: F401
    MICROPYTHON, MUTED_SOCKET_ERRORS, format_exception, invoke_handler, iscoroutine, log, mro,
    print_exception)


# --- application ---------------------------------------------------------------------------------

def abort(status_code, reason=None, headers=None):
    """End the current request with an HTTP error (``headers`` go on the error response)."""
    raise HTTPException(status_code, reason, headers)


_DEFAULT_ERRORS = {
    400: 'Bad request',
    404: 'Not found',
    405: 'Method not allowed',
    413: 'Payload too large',
    500: 'Internal server error',
}


class _Limit:
    """An app setting that falls back to a ``Request`` class attribute (Microdot 2.x globals)."""

    def __init__(self, name):
        self.name = name
        self.attr = '_' + name

    def __get__(self, app, owner=None):
        if app is None:
            return self
        value = getattr(app, self.attr, None)
        return getattr(Request, self.name) if value is None else value

    def __set__(self, app, value):
        setattr(app, self.attr, value)  # MicroPython's instance __dict__ is read-only


class Microdot:
    """A web application."""

    # request limits (per app; see docs/security.md)
    max_content_length = _Limit('max_content_length')
    max_body_length = _Limit('max_body_length')
    max_readline = _Limit('max_readline')

    def __init__(self):
        self.url_map = []
        self.before_request_handlers = []
        self.after_request_handlers = []
        self.after_error_request_handlers = []
        self.error_handlers = {}
        self.startup_handlers = []
        self.shutdown_handlers = []
        self.extensions = {}
        self.options_handler = self.default_options_handler
        self.ssl = False
        self.debug = False
        self.server = None
        self.http_server = None
        # protocol limits, with safe defaults
        self.max_request_line = 8 * 1024      # 414 above it
        self.max_head_size = 32 * 1024        # 431 above it
        self.max_headers = 100                # 431 above it
        self.head_timeout = 10.0              # seconds to send a whole request head (408)
        self.idle_timeout = 5.0               # seconds a keep-alive connection may sit idle
        self.read_timeout = 30.0              # seconds a body read or a response write may stall
        self.max_connections = 32 if MICROPYTHON else 1024  # more are refused with 503
        self.shutdown_timeout = 10.0          # grace period for in-flight requests on shutdown

    @property
    def max_header_line(self):
        return self.max_readline

    # -- registration --

    def route(self, url_pattern, methods=None):
        """Decorator that registers a route for ``url_pattern`` and ``methods`` (default GET)."""
        def decorated(f):
            self.url_map.append(
                ([m.upper() for m in (methods or ['GET'])], URLPattern(url_pattern), f, '', None))
            return f
        return decorated

    def get(self, url_pattern):
        return self.route(url_pattern, methods=['GET'])

    def post(self, url_pattern):
        return self.route(url_pattern, methods=['POST'])

    def put(self, url_pattern):
        return self.route(url_pattern, methods=['PUT'])

    def patch(self, url_pattern):
        return self.route(url_pattern, methods=['PATCH'])

    def delete(self, url_pattern):
        return self.route(url_pattern, methods=['DELETE'])

    def before_request(self, f):
        """``f(request)`` runs before each routed request; a truthy return is the response."""
        self.before_request_handlers.append(f)
        return f

    def after_request(self, f):
        """``f(request, response)`` runs after each successful request; a truthy return replaces
        the response."""
        self.after_request_handlers.append(f)
        return f

    def after_error_request(self, f):
        """``f(request, response)`` runs after each error response."""
        self.after_error_request_handlers.append(f)
        return f

    def errorhandler(self, status_code_or_exception_class):
        """Decorator for ``f(request)`` (a status code) or ``f(request, exc)`` (an exception class)."""
        def decorated(f):
            self.error_handlers[status_code_or_exception_class] = f
            return f
        return decorated

    def on_startup(self, f):
        """``f()`` (sync or async) runs once when a server starts serving this app."""
        self.startup_handlers.append(f)
        return f

    def on_shutdown(self, f):
        """``f()`` (sync or async) runs once when the server stops."""
        self.shutdown_handlers.append(f)
        return f

    async def run_startup_handlers(self):
        for f in self.startup_handlers:
            await invoke_handler(f)

    async def run_shutdown_handlers(self):
        for f in self.shutdown_handlers:
            try:
                await invoke_handler(f)
            except Exception as exc:
                print_exception(exc)

    def add_extension(self, name, extension):
        """Record an initialised extension; an extension is initialised once per app."""
        if name in self.extensions:
            raise RuntimeError(
                "extension '{}' is already initialised on this app".format(name))
        self.extensions[name] = extension
        return extension

    def mount(self, subapp, url_prefix='', local=False):
        """Add the routes of ``subapp`` under ``url_prefix``. Without ``local`` its hooks and error
        handlers become the app's; with it they apply to its own routes only."""
        for methods, pattern, handler, prefix, sub in subapp.url_map:
            self.url_map.append((methods, URLPattern(url_prefix + pattern.url_pattern), handler,
                                 url_prefix + prefix, sub or subapp))
        if not local:
            for attr in ('before_request_handlers', 'after_request_handlers',
                         'after_error_request_handlers'):
                getattr(self, attr).extend(getattr(subapp, attr))
                setattr(subapp, attr, [])
            self.error_handlers.update(subapp.error_handlers)
            subapp.error_handlers = {}
        self.startup_handlers.extend(subapp.startup_handlers)
        self.shutdown_handlers.extend(subapp.shutdown_handlers)
        subapp.startup_handlers = []
        subapp.shutdown_handlers = []

    @staticmethod
    def abort(status_code, reason=None, headers=None):
        raise HTTPException(status_code, reason, headers)

    # -- routing --

    def find_route(self, req):
        """``(handler | 404 | 405 | allow-dict, url_prefix, subapp)`` for a request; sets
        ``req.url_args``. The first registered route that matches wins; HEAD falls back to GET
        when no route lists HEAD. A dict answers an automatic OPTIONS request."""
        method = req.method.upper()
        path = req.path
        allowed = []
        found = None
        first = None  # the first route whose pattern matched: its sub-app answers OPTIONS and 405
        for route in self.url_map:
            args = route[1].match(path)
            if args is None:
                continue
            if first is None:
                first = route
            route_methods = route[0]
            if method in route_methods:
                found = (route, args)
                break
            if method == 'HEAD' and found is None and 'GET' in route_methods:
                found = (route, args)  # keep looking for a route that lists HEAD itself
            for m in route_methods:
                if m not in allowed:
                    allowed.append(m)
        if found is not None:
            route, req.url_args = found
            return route[2], route[3], route[4]
        if first is None:
            return 404, '', None
        if method == 'OPTIONS' and self.options_handler:
            return self.options_handler(req), first[3], first[4]
        if 'GET' in allowed and 'HEAD' not in allowed:
            allowed.append('HEAD')
        req.url_args = {'allow': allowed}
        return 405, first[3], first[4]

    def default_options_handler(self, req):
        """The ``Allow`` header for an automatic OPTIONS answer."""
        allow = []
        for route_methods, pattern, _, _, _ in self.url_map:
            if pattern.match(req.path) is not None:
                for m in route_methods:
                    if m not in allow:
                        allow.append(m)
        if 'GET' in allow and 'HEAD' not in allow:
            allow.append('HEAD')
        if 'OPTIONS' not in allow:
            allow.append('OPTIONS')
        return {'Allow': ', '.join(allow)}

    def get_request_handlers(self, req, attr, local_first=True):
        handlers = getattr(self, attr)
        subapp = req.subapp if req else None
        if subapp is None or subapp is self:
            return handlers
        local = getattr(subapp, attr)
        if not local:
            return handlers
        return local + handlers if local_first else handlers + local

    # -- dispatch --

    def make_response(self, value):
        """Turn what a handler returned into a Response (body, status and headers in any of the
        Microdot 2.x shapes)."""
        if isinstance(value, Response):
            return value
        if isinstance(value, str):  # the most common return value
            return Response(value)
        if isinstance(value, tuple):
            if not value:
                raise TypeError('empty response tuple')
            if isinstance(value[0], int) and not isinstance(value[0], bool):
                return Response(b'', value[0], value[1] if len(value) > 1 else None)
            if len(value) > 1 and isinstance(value[1], int):
                return Response(value[0], value[1], value[2] if len(value) > 2 else None)
            if len(value) == 2 and isinstance(value[1], dict):
                return Response(value[0], 200, value[1])
            raise TypeError('invalid response tuple')
        if isinstance(value, int) and not isinstance(value, bool):
            return Response(b'', value)
        return Response(value)

    async def error_response(self, req, status_code, reason=None):
        """The response for an HTTP error: the app's handler for that status, or a plain one."""
        handler = None
        if req is not None and req.subapp is not None:
            handler = req.subapp.error_handlers.get(status_code)
        if handler is None:
            handler = self.error_handlers.get(status_code)
        if handler is not None:
            return self.make_response(await invoke_handler(handler, req))
        return Response(reason or _DEFAULT_ERRORS.get(status_code, '{} error'.format(status_code)),
                        status_code)

    def _find_exception_handler(self, req, exc):
        apps = [self]
        if req is not None and req.subapp is not None and req.subapp is not self:
            apps.insert(0, req.subapp)
        for cls in mro(type(exc)):
            for app in apps:
                handler = app.error_handlers.get(cls)
                if handler is not None:
                    return handler
        return None

    async def exception_response(self, req, exc):
        """The response for an unexpected exception: the app's handler for its class (most
        specific first), or a plain 500 that shows the traceback only in debug mode."""
        handler = self._find_exception_handler(req, exc)
        if handler is not None:
            try:
                res = await invoke_handler(handler, req, exc)
                if res is not None:
                    return self.make_response(res)
            except HTTPException as http_exc:
                return await self.error_response(req, http_exc.status_code, http_exc.reason)
            except Exception as handler_exc:
                print_exception(handler_exc)
        print_exception(exc)
        if self.debug:
            return Response(format_exception(exc), 500)
        return await self.error_response(req, 500, 'Internal server error')

    async def dispatch_request(self, req):
        """Route a request through hooks and handlers to a Response."""
        success = False
        try:
            if req is None:
                res = await self.error_response(None, 400, 'Bad request')
            elif req.content_length and req.content_length > self.max_content_length:
                res = await self.error_response(req, 413, 'Payload too large')
            else:
                handler, req.url_prefix, req.subapp = self.find_route(req)
                if isinstance(handler, dict):
                    res = Response(b'', 200, handler)
                elif handler == 404 or handler == 405:
                    res = await self.error_response(req, handler)
                    if handler == 405:
                        res.headers['Allow'] = ', '.join(req.url_args['allow'])
                else:
                    req.route = handler
                    res = None
                    hooks = self.before_request_handlers if req.subapp is None else \
                        self.get_request_handlers(req, 'before_request_handlers', False)
                    for hook in hooks:
                        res = await invoke_handler(hook, req)
                        if res:
                            break
                    if not res:
                        res = await invoke_handler(handler, req, **req.url_args)
                    res = self.make_response(res)
                if isinstance(handler, dict) or callable(handler):
                    hooks = self.after_request_handlers if req.subapp is None else \
                        self.get_request_handlers(req, 'after_request_handlers')
                    if req.after_request_handlers:
                        hooks = hooks + req.after_request_handlers
                    for hook in hooks:
                        ret = await invoke_handler(hook, req, res)
                        if ret:
                            res = self.make_response(ret)
                    success = True
        except HTTPException as exc:
            res = await self._safe_error_response(req, exc.status_code, exc.reason)
            for name, value in (exc.headers or {}).items():
                if name not in res.headers:
                    res.headers[name] = value
        except Exception as exc:
            try:
                res = await self.exception_response(req, exc)
            except Exception as exc2:
                print_exception(exc2)
                res = Response(_DEFAULT_ERRORS[500], 500)
        if not success:
            for hook in self.get_request_handlers(req, 'after_error_request_handlers'):
                try:
                    ret = await invoke_handler(hook, req, res)
                    if ret:
                        res = self.make_response(ret)
                except Exception as exc:
                    print_exception(exc)
        res.is_head = req is not None and req.method == 'HEAD'
        return res

    async def _safe_error_response(self, req, status_code, reason):
        try:
            return await self.error_response(req, status_code, reason)
        except Exception as exc:
            return await self.exception_response(req, exc)

    # -- serving --

    async def start_server(self, host='0.0.0.0', port=5000, debug=False, ssl=None,
                           start_serving=True):
        """Serve the app on the built-in HTTP/1.1 server until ``shutdown()`` is called. With
        ``start_serving=False`` (CPython) the bound asyncio server is returned without waiting."""
        from .runtime import preload
        preload(('connection', 'response_writer', 'server'))
        from .server import HTTPServer
        self.debug = debug
        self.ssl = ssl
        server = HTTPServer(self)
        return await server.serve(host, port, ssl, start_serving)

    def run(self, host='0.0.0.0', port=5000, debug=False, ssl=None):
        """Serve the app until stopped (``shutdown()``, SIGINT or SIGTERM). Blocks. Uses uvloop's
        faster event loop when it is installed."""
        try:
            from uvloop import run as run_loop
        except ImportError:
            run_loop = asyncio.run
        try:
            run_loop(self.start_server(host=host, port=port, debug=debug, ssl=ssl))
        except KeyboardInterrupt:  # MicroPython has no signal handlers
            pass

    def shutdown(self):
        """Stop accepting connections, let in-flight requests finish (within
        ``shutdown_timeout``), then stop. Safe to call from a handler."""
        if self.http_server is not None:
            self.http_server.shutdown()
        elif self.server is not None:
            self.server.close()


redirect = Response.redirect
send_file = Response.send_file
