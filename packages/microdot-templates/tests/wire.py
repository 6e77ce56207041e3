"""A raw HTTP/1.1 client that keeps the chunk framing visible, to prove a body was streamed."""
import socket


def get_chunks(host, port, path, timeout=10):
    """``(status line, headers dict (lower-case names), [chunk bytes, ...])`` for one GET whose
    response is chunked; the connection is closed afterwards."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.sendall('GET {} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n'.format(
            path).encode())
        reader = sock.makefile('rb')
        status = reader.readline().decode().strip()
        headers = {}
        while True:
            line = reader.readline()
            if line in (b'\r\n', b''):
                break
            name, value = line.decode().split(':', 1)
            headers[name.strip().lower()] = value.strip()
        chunks = []
        if headers.get('transfer-encoding') == 'chunked':
            while True:
                size = int(reader.readline().strip().split(b';')[0], 16)
                data = reader.read(size) if size else b''
                assert reader.read(2) == b'\r\n'
                if size == 0:
                    break
                chunks.append(data)
        else:
            chunks.append(reader.read())
        return status, headers, chunks
    finally:
        sock.close()


def assert_chunk_sizes(chunks, size, slack=64):
    """Each chunk holds at least ``size`` bytes (the last may hold less) and not much more: the
    body was streamed in bounded chunks, neither as one blob nor as the engine's tiny pieces."""
    assert len(chunks) >= 2, 'one blob: {} bytes'.format(sum(len(c) for c in chunks))
    for chunk in chunks[:-1]:
        assert size <= len(chunk) < size + slack, len(chunk)
    assert 0 < len(chunks[-1]) < size + slack
