"""MicroPython: the built-in server's listening socket and accept loop.

It does what ``asyncio.start_server`` does there, except that running out of memory while taking
on one connection (its stream, task or coroutine) drops that connection: in ``start_server`` the
``MemoryError`` ends the accept loop, and the server stops accepting for good.
"""
import asyncio
import gc
import socket

from .runtime import log

# as many as the default max_connections on MicroPython: with asyncio's 5, a burst of 32 new
# connections loses SYNs to the kernel and waits a second for the retry (p99 of ~1 s at 32
# connections); out of memory for one of them drops that one (below), not the accept loop
BACKLOG = 32


class Listener:
    """The listening socket and its accept task; ``close()`` and ``wait_closed()`` as asyncio's
    ``Server``."""

    def __init__(self, handle, host, port):
        addr = socket.getaddrinfo(host, port)[0][-1]
        sock = socket.socket()
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(addr)
            sock.listen(BACKLOG)
        except Exception:
            sock.close()
            raise
        self.sock = sock
        self.task = asyncio.create_task(self._accept_loop(handle))

    def _accept_loop(self, handle):
        # a generator, which MicroPython runs as a coroutine: waiting for the listening socket to
        # become readable takes yielding to its I/O queue, as its own start_server does
        from asyncio.core import _io_queue
        from asyncio.stream import Stream
        sock = self.sock
        try:
            while True:
                try:
                    yield _io_queue.queue_read(sock)
                except asyncio.CancelledError:
                    return
                except MemoryError:
                    # not even the memory to wait for the next client: give the open
                    # connections a moment to finish and free theirs, then wait again
                    gc.collect()
                    try:
                        yield from asyncio.sleep_ms(20)
                    except asyncio.CancelledError:
                        return
                    continue
                client = None
                try:
                    client, addr = sock.accept()
                    client.setblocking(False)
                    stream = Stream(client, {'peername': addr})
                    asyncio.create_task(handle(stream, stream))
                    client = stream = None  # the task has them now
                except OSError:
                    pass  # the client gave up before we got to it
                except MemoryError:
                    if client is not None:
                        client.close()
                    client = stream = None
                    gc.collect()
                    try:
                        log('out of memory: connection dropped')
                    except MemoryError:
                        pass
        finally:
            sock.close()

    def close(self):
        self.task.cancel()

    async def wait_closed(self):
        await self.task
