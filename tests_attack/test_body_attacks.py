"""Body framing attacks (chunked coding, Content-Length, Expect), a pipelined request after each.

The conformance suite's framing cases (CL+TE, duplicate/list/signed/hex/huge Content-Length,
unsupported codings, malformed chunk sizes, body cut short, 100-continue) run again here through
test_reused_conformance.py; these are the rest. A valid case must answer the pipelined PROBE
after it (the body was consumed exactly); a refused one must answer nothing after the refusal.
"""
import socket
import time

import pytest

from attack import PROBE, assert_refused, assert_served, probe
from conftest import OWN_PROTOCOL

# MicroPython's str.isdigit() is ASCII-only: only CPython's built-in server is affected
from rawhttp import ConnectionClosed, chunked, request_bytes


def post(headers, body=b'', path='/core/echo'):
    return request_bytes('POST', path, headers, body=body)


TE = [('Transfer-Encoding', 'chunked')]


# --- valid framings: served, and the next pipelined request answered ------------------------------

@pytest.mark.parametrize('body', [
    chunked(b'hello'),
    chunked(b'he', b'llo'),
    b'5;name=value\r\nhello\r\n0\r\n\r\n',
    b'5;a=1;b="x y"\r\nhello\r\n0;last\r\n\r\n',
    b'5\r\nhello\r\n0\r\nX-Trailer: 1\r\nContent-Length: 999\r\n\r\n',
    b'005\r\nhello\r\n00\r\n\r\n',
    b'5\r\nhello\r\n0\r\n\r\n',
], ids=['one', 'two', 'extension', 'extensions', 'trailers', 'leading-zeros', 'minimal'])
def test_valid_chunked_then_pipelined(server, body):
    outcome = probe(server, post(TE, body))
    if server.runtime not in OWN_PROTOCOL and outcome.status == 400:
        # gunicorn refuses a Content-Length among the trailers: a clean refusal is fine there
        return assert_refused(outcome, (), False)
    assert_served(outcome)
    assert outcome.first.body == b'hello', outcome


@pytest.mark.parametrize('te', ['CHUNKED', 'Chunked', 'chunked '])
def test_chunked_is_case_insensitive(server, te):
    outcome = probe(server, post([('Transfer-Encoding', te)], chunked(b'hello')))
    assert_served(outcome)


def test_content_length_leading_zeros(server):
    outcome = probe(server, post([('Content-Length', '005')], b'hello'))
    assert_served(outcome)
    assert outcome.first.body == b'hello'


def test_get_with_a_body_is_skipped(server):
    outcome = probe(server, request_bytes('GET', '/core/text', [('Content-Length', '5')], b'GET /'))
    assert_served(outcome)


def test_body_longer_than_declared_is_the_next_request(server):
    # the extra bytes start the next request ('XYZGET ...', an unknown method): never part of the
    # body, never a 5xx
    outcome = probe(server, post([('Content-Length', '5')], b'helloXYZ'))
    if server.runtime not in OWN_PROTOCOL and outcome.first is not None \
            and outcome.first.status == 400:
        return  # uvicorn's httptools parses ahead and refuses the whole connection: no smuggling
    assert outcome.first is not None and outcome.first.status == 200, outcome
    assert outcome.first.body == b'hello'
    assert outcome.rest and outcome.rest[0].status in (400, 404, 405, 501), outcome


@pytest.mark.parametrize('framing', ['length', 'chunked'])
def test_expect_100_continue_then_pipelined(server, framing):
    headers = [('Expect', '100-continue')]
    body = b'hello'
    if framing == 'chunked':
        headers += TE
        body = chunked(b'hello')
    with server.connect() as conn:
        conn.send(post(headers, body) if framing == 'chunked' else
                  post(headers + [('Content-Length', '5')], b''))
        first = conn.read_response()
        if first.status == 100:
            if framing == 'length':
                conn.send(b'hello')
            first = conn.read_response()
        elif framing == 'length':
            conn.send(b'hello')
        assert first.status == 200 and first.body == b'hello', first
        conn.send(PROBE)
        res = conn.read_response()
        assert res.status == 200 and b'666' in res.body, res


# --- refused framings: 400 (or 413), nothing after them answered ----------------------------------

@pytest.mark.parametrize('headers', [
    [('Content-Length', '\u0661\u0660')],
    [('Content-Length', '\uff15')],
    [('Content-Length', '5\x0b')],
    [('Content-Length', '')],
    [('Content-Length', ' ')],
    [('Content-Length', '5.0')],
    [('Content-Length', '5e0')],
    [('Content-Length', '1_0')],
    [('Content-Length', '0, 5')],
    [('Content-Length', '5'), ('Content-length', '5')],
], ids=['cl-arabic-digits', 'cl-fullwidth-digit', 'cl-vt', 'cl-empty', 'cl-blank', 'cl-decimal',
        'cl-exponent', 'cl-underscore', 'cl-list-differ', 'cl-two-cases'])
def test_content_length_framing(server, headers):
    data = post(headers).replace(b'\r\n\r\n', b'\r\n\r\n', 1) + b'0123456789'
    assert_refused(probe(server, data), (400,), server.runtime in OWN_PROTOCOL)


@pytest.mark.parametrize('te', ['chunked\x0b', 'chunked;q=1', '"chunked"', 'chunked,', ',chunked,'])
def test_odd_transfer_encoding_values(server, te):
    # either understood as exactly 'chunked' (then the body decodes and the probe is answered) or
    # refused; never a body read one way by us and another way by a proxy in front
    outcome = probe(server, post([('Transfer-Encoding', te)], chunked(b'hello')))
    if outcome.first is not None and outcome.first.status == 200:
        assert_served(outcome)
        assert outcome.first.body == b'hello'
    else:
        assert_refused(outcome, (400, 501), server.runtime in OWN_PROTOCOL)


@pytest.mark.parametrize('body', [
    b'5 \r\nhello\r\n0\r\n\r\n' + b'',
    b'5\r\nhello\r\n0\r\n',           # no final CRLF after the last chunk, then the probe
    b'5\nhello\n0\n\n',
    b'5\r\nhel',                      # truncated: the probe is read as chunk data
    b'5;' + b'e' * 5000 + b'\r\nhello\r\n0\r\n\r\n',
    b'5\r\nhello\r\n0\r\n' + b'X-T: ' + b't' * 5000 + b'\r\n\r\n',
    b'5\r\nhello\r\n0\r\n' + b'X-T: 1\r\n' * 500 + b'\r\n',
    b'5\r\nhello\r\n0\r\n' + b'X-T: ' + b't' * 300000 + b'\r\n\r\n',
    b'\r\n5\r\nhello\r\n0\r\n\r\n',
    b'5\r\nhello\r\n\r\n0\r\n\r\n',
], ids=['space-after-size', 'no-final-crlf', 'bare-lf', 'truncated', 'huge-extension',
        'huge-trailer', 'many-trailers', 'endless-trailer', 'empty-size-line', 'extra-crlf'])
def test_malformed_or_hostile_chunked(server, body):
    # lenient parsers may accept some of these (BWS after the size, bare LF); what matters is that
    # nothing after the body is answered unless the body decoded to exactly 'hello'
    outcome = probe(server, post(TE, body))
    if outcome.first is not None and outcome.first.status == 200:
        assert outcome.first.body == b'hello', outcome
    else:
        assert_refused(outcome, (400, 408, 413, 431), server.runtime in OWN_PROTOCOL)


def test_truncated_chunked_body_then_close_is_not_served(server):
    with server.connect() as conn:
        conn.send(post(TE) + b'a\r\nhello')
        conn.sock.shutdown(socket.SHUT_WR)
        try:
            res = conn.read_response()
            assert res.status in (400, 408), res
        except ConnectionClosed:
            pass


def test_chunked_body_stalled_mid_chunk_is_cut(server, own_protocol):
    timeout = server.limits['read_timeout']
    with server.connect(timeout=timeout + 10) as conn:
        conn.send(post(TE) + b'a\r\nhello')
        start = time.monotonic()
        try:
            res = conn.read_response()
            assert res.status in (400, 408), res
        except ConnectionClosed:
            pass
        assert time.monotonic() - start < timeout + 5
