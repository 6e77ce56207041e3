"""Test helpers for CPython (not for MicroPython): a real built-in server on a real socket.

    with LiveServer(app) as server:
        httpx.get(server.url + '/')

The server runs the app in a thread with its own event loop, on 127.0.0.1 and a free port.
"""
import asyncio
import threading
import time

__all__ = ['LiveServer']


class LiveServer:
    """Run ``app`` on the built-in server in a background thread; ``url``, ``host``, ``port``."""

    def __init__(self, app, host='127.0.0.1', port=0, ssl=None, start_timeout=10):
        self.app = app
        self.host = host
        self.port = port
        self.ssl = ssl
        self.start_timeout = start_timeout
        self.loop = None
        self._thread = None
        self._error = None
        self._ready = threading.Event()

    @property
    def url(self):
        return '{}://{}:{}'.format('https' if self.ssl else 'http', self.host, self.port)

    def start(self):
        self._thread = threading.Thread(target=self._run, name='microdot-live-server', daemon=True)
        self._thread.start()
        if not self._ready.wait(self.start_timeout):
            raise RuntimeError('the server did not start within {}s'.format(self.start_timeout))
        if self._error is not None:
            raise RuntimeError('the server failed to start: {!r}'.format(self._error))
        return self

    def _run(self):
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the thread that waits in start()
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self):
        self.loop = asyncio.get_running_loop()
        task = asyncio.create_task(self.app.start_server(
            self.host, self.port, debug=self.app.debug, ssl=self.ssl))
        deadline = time.monotonic() + self.start_timeout
        while self.app.http_server is None or self.app.server is None:
            if task.done():
                task.result()  # raises what made the start fail
                return
            if time.monotonic() > deadline:
                task.cancel()
                return
            await asyncio.sleep(0.005)
        self.port = self.app.server.sockets[0].getsockname()[1]
        self._ready.set()
        await task

    def stop(self, timeout=15):
        """Shut the server down (gracefully) and wait for its thread."""
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.app.shutdown)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
