"""CPython only: a connection's stream pair straight on an asyncio transport (the built-in server
uses asyncio streams on MicroPython, which has no protocols)."""
import asyncio


class TransportStream(asyncio.Protocol):
    """CPython: a connection's reader and writer in one small protocol object, with the parts of
    the asyncio streams API the server uses (``read``, ``write``, ``drain``, ``close``,
    ``wait_closed``, ``get_extra_info``). It saves the streams layer on every request."""

    def __init__(self, server):
        self.server = server
        # kept: asyncio.get_running_loop() costs a getpid() system call each time (CPython 3.11)
        self.loop = asyncio.get_running_loop()
        self.transport = None
        self.data = []
        self.size = 0
        self.eof = False
        self.lost = False
        self.read_waiter = None
        self.write_waiter = None
        self.writing_paused = False
        self.reading_paused = False
        self.closed = None

    # -- protocol callbacks --

    def connection_made(self, transport):
        self.transport = transport
        self.loop.create_task(self.server.handle(self, self))

    def data_received(self, data):
        self.data.append(data)
        self.size += len(data)
        if self.size > 262144 and not self.reading_paused:
            self.reading_paused = True  # the handler is not reading: stop the client
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self):
        self.eof = True
        self._wake_reader()
        self._set_closed()
        return True  # a half-closed client still gets its response

    def connection_lost(self, exc):
        self.eof = self.lost = True
        self._wake_reader()
        self._set_closed()
        waiter = self.write_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionResetError('Connection lost'))

    def pause_writing(self):
        self.writing_paused = True

    def resume_writing(self):
        self.writing_paused = False
        waiter = self.write_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def closed_future(self):
        """A future done once the client has ended its side of the connection."""
        if self.closed is None:
            self.closed = self.loop.create_future()
            if self.eof:
                self.closed.set_result(None)
        return self.closed

    def _set_closed(self):
        if self.closed is not None and not self.closed.done():
            self.closed.set_result(None)

    def _wake_reader(self):
        waiter = self.read_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- stream API --

    async def read(self, n=-1):
        while not self.data:
            if self.eof:
                return b''
            self.read_waiter = self.loop.create_future()
            try:
                await self.read_waiter
            finally:
                self.read_waiter = None
        data = self.data[0] if len(self.data) == 1 else b''.join(self.data)
        self.data = []
        self.size = 0
        if self.reading_paused:
            self.reading_paused = False
            self.transport.resume_reading()
        return data

    def write(self, data):
        if self.lost:
            raise ConnectionResetError('Connection lost')
        self.transport.write(data)

    def ready_for_writes(self):
        """Whether ``drain()`` would return at once: the transport takes more and the client is
        still there."""
        return not self.writing_paused and not self.lost

    async def drain(self):
        if self.lost:
            raise ConnectionResetError('Connection lost')
        if self.writing_paused:
            self.write_waiter = self.loop.create_future()
            try:
                await self.write_waiter
            finally:
                self.write_waiter = None

    def close(self):
        self.transport.close()

    async def wait_closed(self):
        pass

    def get_extra_info(self, name, default=None):
        return self.transport.get_extra_info(name, default)
