"""Streamed response bodies: one async iterator over whatever a handler returned as a body (async
iterator, file-like, sync iterator or bytes). Loaded by the first streamed response, so that an
app that only answers with bytes does not keep this code in memory (MicroPython)."""
from .runtime import is_awaitable, iscoroutine


class BodyIter:
    """Async iterator over any response body: async iterator, file-like, sync iterator or bytes."""

    def __init__(self, body, buffer_size):
        self.body = body
        self.buffer_size = buffer_size
        self.kind = 'async' if hasattr(body, '__anext__') else 'file' if hasattr(body, 'read') \
            else 'iter' if hasattr(body, '__next__') else 'once'
        if self.kind == 'iter' and not hasattr(body, '__next__'):
            self.body = iter(body)

    def __aiter__(self):
        return self

    async def __anext__(self):
        kind = self.kind
        if kind == 'async':
            return await self.body.__anext__()
        if kind == 'file':
            chunk = self.body.read(self.buffer_size)
            if iscoroutine(chunk):
                chunk = await chunk
            if not chunk:
                raise StopAsyncIteration
            if len(chunk) < self.buffer_size:
                self.kind = 'done'
            return chunk
        if kind == 'iter':
            try:
                return next(self.body)
            except StopIteration:
                raise StopAsyncIteration
        if kind == 'once':
            self.kind = 'done'
            if self.body:
                return self.body
        raise StopAsyncIteration

    async def aclose(self):
        close = getattr(self.body, 'aclose', None) or getattr(self.body, 'close', None)
        if close is not None:
            ret = close()
            if is_awaitable(ret):
                await ret
