"""Sending one hostile request over a raw socket and judging what comes back.

``probe(server, data)`` sends ``data`` followed by a pipelined harmless request (PROBE) and returns
an Outcome: the first response (or None if the server closed without answering) and every response
read after it until the connection closed or went quiet. Whatever the server refused, nothing
that followed it on the wire may be answered (no smuggling).
"""
import socket
import time

from rawhttp import ConnectionClosed, RawConnection

# a request that can only be answered if the server parsed it as a request of its own
PROBE = b'GET /core/int/666 HTTP/1.1\r\nHost: probe\r\n\r\n'
# headers any refusal may carry; anything else would come from the request (reflection/injection)
ERROR_HEADERS = {'content-type', 'content-length', 'connection', 'date', 'server',
                 'transfer-encoding', 'vary', 'access-control-allow-origin', 'allow'}


class Outcome:
    def __init__(self, first, rest, closed):
        self.first = first        # rawhttp.Response or None
        self.rest = rest          # responses that followed (pipelined)
        self.closed = closed      # the server closed the connection

    @property
    def status(self):
        return self.first.status if self.first is not None else None

    def __repr__(self):
        return '<Outcome {!r} then {!r} closed={}>'.format(self.first, self.rest, self.closed)


def probe(server, data, pipeline=PROBE, timeout=5.0, quiet=1.0):
    conn = RawConnection(server.host, server.port, timeout)
    try:
        try:
            conn.send(data + (pipeline or b''))
        except OSError:
            pass  # the server may refuse and close before it read everything
        first, rest, closed = None, [], False
        try:
            first = conn.read_response()
            conn.sock.settimeout(quiet)
            while len(rest) < 4:
                rest.append(conn.read_response())
                if b'666' in rest[-1].body:
                    break  # the probe was answered: nothing more is coming
        except ConnectionClosed:
            closed = True
        except socket.timeout:
            pass
        except OSError:
            closed = True
        return Outcome(first, rest, closed)
    finally:
        conn.close()


def assert_refused(outcome, statuses, own_protocol):
    """A refusal on microdot's own server (cpython, micropython): one of ``statuses``, never a
    traceback, no header taken from the request, the connection closed, nothing that followed on
    the wire answered.

    Under uvicorn and gunicorn their HTTP parser decides, and may accept what ours refuses (obs-text
    in a field value is legal HTTP; their limits differ): there the case checks that the answer is
    never a 5xx (501 for an unknown coding and 505 aside), never a traceback, never a reflected
    header, and that after a refusal (4xx other than 404/405) nothing that followed on the wire was answered."""
    res = outcome.first
    if res is None:
        assert not own_protocol, 'closed without a response: {!r}'.format(outcome)
    else:
        if own_protocol:
            assert res.status in statuses, outcome
        else:
            assert res.status < 500 or res.status in (501, 505), outcome
        assert b'Traceback' not in res.body and b'File "' not in res.body, res.body
        for name, value in res.headers if res.status >= 400 else ():
            assert name.lower() in ERROR_HEADERS, 'unexpected header {}: {}'.format(name, value)
    refused = res is None or res.status >= 400 and res.status not in (404, 405)
    if own_protocol or refused:
        assert not any(b'666' in r.body for r in outcome.rest), \
            'smuggled request answered: {!r}'.format(outcome)
    if own_protocol and res is not None:
        assert outcome.closed and not outcome.rest, 'connection left open after {}'.format(outcome)


def assert_served(outcome, status=200):
    """Accepted: the expected status, and the pipelined PROBE answered after it."""
    assert outcome.first is not None and outcome.first.status == status, outcome
    assert outcome.rest and outcome.rest[0].status == 200 and b'666' in outcome.rest[0].body, \
        outcome


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
