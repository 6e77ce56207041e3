"""Request bodies in chunked transfer coding (RFC 9112 7.1). Loaded by the first chunked request,
so that an app whose clients send none does not keep this code in memory (MicroPython)."""
from .connection import _Body
from .http11 import ProtocolError, parse_chunk_size


class ChunkedBody(_Body):
    """A body in chunked transfer coding (RFC 9112 7.1); trailers are read and dropped."""

    def __init__(self, conn, max_size):
        self.conn = conn
        self.max_size = max_size
        self.total = 0
        self.chunk_left = 0
        self.done = False

    async def _line(self):
        line = await self.conn.readline(self.conn.app.max_request_line)
        if not line.endswith(b'\n'):
            raise ProtocolError(400, 'Chunked body ended early')
        return line.rstrip(b'\r\n')

    async def _read(self, n=-1):
        if self.done:
            return b''
        await self._continue()
        if self.chunk_left == 0:
            size = parse_chunk_size(await self._line(), self.max_size - self.total)
            if size == 0:
                trailers = 0
                while await self._line():  # trailer fields, then the empty line
                    trailers += 1
                    if trailers > self.conn.app.max_headers:
                        raise ProtocolError(431, 'Too many trailer fields')
                self.done = True
                return b''
            self.chunk_left = size
            self.total += size
        n = self.chunk_left if n < 0 else min(n, self.chunk_left)
        data = await self.conn.read(n)
        if not data:
            raise ProtocolError(400, 'Chunked body ended early')
        self.chunk_left -= len(data)
        if self.chunk_left == 0 and await self._line() != b'':
            raise ProtocolError(400, 'Malformed chunk')
        return data

    async def read_up_to(self, n):
        data = b''
        while len(data) < n:
            more = await self.read(n - len(data))
            if not more:
                break
            data += more
        return data


class PrefixedBody(_Body):
    """What was read ahead of a chunked body, followed by the rest of it."""

    def __init__(self, prefix, rest):
        self.prefix = prefix
        self.rest = rest
        self.conn = rest.conn

    @property
    def done(self):
        return not self.prefix and self.rest.done

    async def _read(self, n=-1):
        if self.prefix:
            if n < 0 or n >= len(self.prefix):
                data, self.prefix = self.prefix, b''
            else:
                data, self.prefix = self.prefix[:n], self.prefix[n:]
            return data
        return await self.rest.read(n)
