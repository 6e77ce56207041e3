"""The built-in HTTP/1.1 server: one task per connection (see connection.py), keep-alive and
pipelining, streamed responses, timeouts and a connection cap.

Timeouts work the same way everywhere: each connection publishes a deadline while it waits on the
client (head, body, or a response write), and one reaper task cancels the connections whose deadline
has passed. Cancelling is the one mechanism that wakes a pending read on MicroPython too.
"""
import asyncio

from .connection import Connection, monotonic, read_request
from .http11 import HTTPException
from .response import Response
from .response_writer import error_bytes, write_response
from .runtime import MICROPYTHON, MUTED_SOCKET_ERRORS, log, print_exception

DISCARD_LIMIT = 64 * 1024  # unread request body we skip to keep a connection; more closes it


# --- the server ----------------------------------------------------------------------------------

def peer_address(peer):
    """``(host, port)`` of the client; MicroPython gives a raw sockaddr (bytes) instead."""
    if isinstance(peer, (bytes, bytearray)) and len(peer) >= 8:
        port = peer[2] << 8 | peer[3]
        if peer[0] == 2:  # AF_INET
            return '.'.join(str(b) for b in peer[4:8]), port
        if len(peer) >= 24:  # AF_INET6
            return ':'.join('{:x}'.format(peer[i] << 8 | peer[i + 1]) for i in range(8, 24, 2)), port
    return peer


class HTTPServer:
    """Serves one app on one listening socket."""

    def __init__(self, app):
        self.app = app
        self.connections = set()
        self.closing = False
        self.stopped = asyncio.Event()
        self.scheme = 'http'
        self.server = None

    async def serve(self, host, port, ssl=None, start_serving=True):
        app = self.app
        self.scheme = 'https' if ssl else 'http'
        await app.run_startup_handlers()
        kwargs = {}
        if ssl:
            kwargs['ssl'] = ssl
        if not MICROPYTHON:
            kwargs['backlog'] = 2048
            if not start_serving:
                kwargs['start_serving'] = False
        elif not start_serving:
            raise ValueError('start_serving must be True')
        if MICROPYTHON and not ssl:
            from .listener import Listener
            self.server = Listener(self.handle, host, port)
        elif MICROPYTHON:
            self.server = await asyncio.start_server(self.handle, host, port, **kwargs)
        else:  # the stream pair straight on the transport: no asyncio streams in between
            from .transport import TransportStream
            self.server = await asyncio.get_running_loop().create_server(
                lambda: TransportStream(self), host, port, **kwargs)
        app.server = self.server
        app.http_server = self
        reaper = asyncio.create_task(self._reap())
        self._add_signal_handlers()
        if not start_serving:
            return self.server
        if app.debug:
            print('Starting async server on {host}:{port}...'.format(host=host, port=port))
        try:
            await self.stopped.wait()
        finally:
            await self._stop()
            reaper.cancel()
            await app.run_shutdown_handlers()
            app.server = None
            app.http_server = None

    def shutdown(self):
        """Stop accepting; serve() then finishes in-flight requests and returns."""
        if not self.closing:
            self.closing = True
            self.server.close()
            self.stopped.set()

    def _add_signal_handlers(self):
        if MICROPYTHON:
            return
        try:
            import signal
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.shutdown)
        except (ImportError, NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals on this platform

    async def _stop(self):
        app = self.app
        if not MICROPYTHON:
            try:
                import signal
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            except (ImportError, NotImplementedError, RuntimeError, ValueError):
                pass
        deadline = monotonic() + app.shutdown_timeout
        while self.connections:
            for conn in list(self.connections):
                if (conn.idle or conn.read_timeout == 0) and conn.task is not None:
                    # waiting for a request that will not be served, or taken over for good
                    # (an idle WebSocket): nothing is gained by waiting for them
                    conn.task.cancel()
            if monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        for conn in list(self.connections):
            if conn.task is not None:
                conn.task.cancel()
        for _ in range(50):
            if not self.connections:
                break
            await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(self.server.wait_closed(), 1)
        except Exception:
            pass

    async def _reap(self):
        app = self.app
        while True:
            interval = min(app.head_timeout, app.idle_timeout, app.read_timeout) / 4
            await asyncio.sleep(min(max(interval, 0.05), 1))
            now = monotonic()
            for conn in list(self.connections):
                if conn.deadline is not None and now > conn.deadline and conn.task is not None:
                    conn.deadline = None
                    conn.timed_out = True
                    conn.task.cancel()

    async def handle(self, reader, writer):
        """Serve one connection: requests in order until it closes or must be closed."""
        app = self.app
        try:
            conn = Connection(app, reader, writer)
        except MemoryError:  # MicroPython with a full heap: drop this one, keep serving
            import gc
            gc.collect()
            log('out of memory: connection dropped')
            try:
                writer.close()
            except Exception:
                pass
            return
        conn.task = asyncio.current_task()
        if len(self.connections) >= app.max_connections or self.closing:
            log('connection refused: {} connections open'.format(len(self.connections)))
            try:
                conn.write(error_bytes(503, 'Service unavailable'))
                await conn.drain()
            except Exception:
                pass
            await conn.aclose()
            return
        client_addr = None
        try:
            self.connections.add(conn)
            client_addr = peer_address(conn.get_extra_info('peername'))
            await self._serve_requests(conn, client_addr)
        except asyncio.CancelledError:
            if conn.timed_out and not conn.idle and conn.buffered():
                await self._refuse(conn, client_addr, 408, 'Request timeout')
        except MemoryError:
            import gc
            gc.collect()
            log('out of memory serving {}: connection closed'.format(client_addr))
        except (OSError, EOFError) as exc:
            if exc.args and exc.args[0] not in MUTED_SOCKET_ERRORS and \
                    exc.args[0] != 'Connection lost' and not isinstance(exc, EOFError):
                log('connection error: {!r}'.format(exc))
        except Exception as exc:
            print_exception(exc)
        finally:
            self.connections.discard(conn)
            await conn.aclose()

    async def _refuse(self, conn, client_addr, status, reason):
        log('{} refused with {}: {}'.format(client_addr, status, reason))
        try:
            conn.write(error_bytes(status, reason))
            await conn.drain()
        except Exception:
            pass

    async def _serve_requests(self, conn, client_addr):
        app = self.app
        first_byte_deadline = monotonic() + app.head_timeout
        while not self.closing:
            conn.idle = True
            try:
                req = await read_request(app, conn, client_addr, self.scheme, first_byte_deadline)
            except HTTPException as exc:
                await self._refuse(conn, client_addr, exc.status_code, exc.reason)
                return
            if req is None:
                return
            conn.idle = False
            res = await app.dispatch_request(req)
            if res is Response.already_handled:
                return  # the handler took the connection over and is done with it
            keep_alive = conn.keep_alive and not self.closing
            keep_alive = await write_response(conn, req, res, keep_alive)
            if app.debug:
                print('{} {} {}'.format(req.method, req.path, res.status_code))
            if not keep_alive:
                return
            if not conn.body.done:
                if conn.expect_continue or not await conn.body.discard(DISCARD_LIMIT):
                    return
            # an idle keep-alive connection must not hold on to the last request and response
            # (about 1.5 KB each on MicroPython)
            req = res = None
            first_byte_deadline = monotonic() + app.idle_timeout
