"""Writing a Response on an HTTP/1.1 connection: the head in one write, bytes bodies with it,
streamed bodies chunked (or close-delimited for HTTP/1.0 clients), HEAD and 204/304 without a body."""
import asyncio

from .http11 import response_head
from .runtime import log, print_exception


def error_bytes(status_code, text, close=True):
    """A small plain-text response for protocol-level refusals."""
    body = text.encode()
    items = [('Content-Type', 'text/plain; charset=UTF-8'), ('Content-Length', str(len(body)))]
    if close:
        items.append(('Connection', 'close'))
    return response_head('1.1', status_code, None, items) + body


_CLIENT_GONE = object()


async def _next_chunk_unless_closed(it, closed):
    """The next chunk, or _CLIENT_GONE if the client ended the connection first."""
    task = asyncio.ensure_future(it.__anext__())
    await asyncio.wait((task, closed), return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        task.cancel()
        return _CLIENT_GONE
    return task.result()


async def write_response(conn, req, res, keep_alive):
    """Write ``res`` to the client; returns whether the connection can serve another request."""
    res.complete()
    if conn.expect_continue:
        # the body was announced but never asked for: no 1xx may follow the final head, and the
        # client may or may not send the body now, so the connection cannot be reused
        conn.expect_continue = False
        keep_alive = False
    status = res.status_code
    headers = res.headers
    body = res.body
    no_body = req.method == 'HEAD' or status in (204, 304) or status < 200
    streaming = not isinstance(body, bytes) and body is not None
    chunked = False
    declared = None
    extra = []
    if status == 204 or status < 200:
        headers.pop('Content-Length', None)
    elif body is None:
        if 'Content-Length' not in headers:
            extra.append(('Content-Length', '0'))
    elif streaming and not no_body:
        declared = headers.get('Content-Length')
        if declared is not None:
            declared = int(declared)
        elif req.http_version == '1.1':
            chunked = True
            extra.append(('Transfer-Encoding', 'chunked'))
        else:
            keep_alive = False  # an HTTP/1.0 client reads this body until the connection closes
    if headers.get('Connection', '').lower() == 'close':
        keep_alive = False
    elif not keep_alive:
        extra.append(('Connection', 'close'))
    elif req.http_version == '1.0':
        extra.append(('Connection', 'keep-alive'))
    items = list(headers.items())
    if extra:
        items.extend(extra)
    head = response_head('1.1', status, res.reason, items)
    if not streaming:
        conn.write(head if no_body or not body else head + body)
        await conn.drain()
        return keep_alive
    it = res.body_iter()
    try:
        conn.write(head)
        if no_body:
            await conn.drain()
            return keep_alive
        sent = 0
        # an idle async stream (SSE) would only notice a departed client at its next write:
        # where the transport tells (CPython), wait for the next chunk or the client's end
        closed = conn.writer.closed_future() \
            if getattr(it, 'kind', None) == 'async' and hasattr(conn.writer, 'closed_future') else None
        while True:
            try:
                if closed is None:
                    chunk = await it.__anext__()
                else:
                    chunk = await _next_chunk_unless_closed(it, closed)
            except StopAsyncIteration:
                break
            except Exception as exc:  # the handler's stream failed: the response cannot be mended
                log('streamed response of {} {} failed: {!r}'.format(req.method, req.path, exc))
                print_exception(exc)
                return False
            if chunk is _CLIENT_GONE:
                return False  # nobody to write to; the finally below closes the stream
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if not chunk:
                continue
            sent += len(chunk)
            if chunked:
                conn.write('{:x}\r\n'.format(len(chunk)).encode())
                conn.write(chunk)
                conn.write(b'\r\n')
            else:
                conn.write(chunk)
            await conn.drain()
        if chunked:
            conn.write(b'0\r\n\r\n')
            await conn.drain()
        if declared is not None and sent != declared:
            log('{} {}: body of {} bytes, Content-Length {}'.format(
                req.method, req.path, sent, declared))
            return False
        return keep_alive
    finally:
        await it.aclose()
