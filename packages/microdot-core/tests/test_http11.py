import pytest

from microdot import http11
from microdot.http11 import (ProtocolError, find_head_end, http_date, parse_chunk_size,
                             parse_head, reason_phrase, request_body_framing, response_head,
                             wants_keep_alive)


class Limits:
    max_request_line = 100
    max_header_line = 100
    max_headers = 5


def parse(raw):
    return parse_head(raw, Limits)


def status_of(raw):
    with pytest.raises(ProtocolError) as exc:
        parse(raw)
    return exc.value.status_code


def test_parse_head():
    method, target, version, headers = parse(
        b'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Y:  z \r\n\r\n')
    assert (method, target, version) == ('GET', '/a?b=1', '1.1')
    assert headers == [('Host', 'x'), ('X-Y', 'z')]


def test_bare_lf_and_leading_empty_lines_accepted():
    assert parse(b'\r\nGET / HTTP/1.0\nHost: x\n\n')[:3] == ('GET', '/', '1.0')


def test_absolute_form_target():
    assert parse(b'GET http://example.com/p?q HTTP/1.1\r\nHost: e\r\n\r\n')[1] == '/p?q'
    assert parse(b'GET http://example.com HTTP/1.1\r\nHost: e\r\n\r\n')[1] == '/'
    assert parse(b'OPTIONS * HTTP/1.1\r\nHost: e\r\n\r\n')[1] == '*'


@pytest.mark.parametrize('raw,status', [
    (b'GET /\r\n\r\n', 400),
    (b'GET  / HTTP/1.1\r\n\r\n', 400),
    (b'G(T / HTTP/1.1\r\n\r\n', 400),
    (b'GET / HTTP/2.0\r\n\r\n', 505),
    (b'GET / HTTQ/1.1\r\n\r\n', 400),
    (b'GET noslash HTTP/1.1\r\n\r\n', 400),
    (b'GET /' + b'a' * 200 + b' HTTP/1.1\r\n\r\n', 414),
    (b'GET / HTTP/1.1\r\nX: ' + b'a' * 200 + b'\r\n\r\n', 431),
    (b'GET / HTTP/1.1\r\n' + b'A: b\r\n' * 6 + b'\r\n', 431),
    (b'GET / HTTP/1.1\r\nX : y\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nX: y\r\n folded\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nnocolon\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nX: \xff\r\n\r\n', 400),
    (b'GET /\x7f HTTP/1.1\r\n\r\n', 400),
])
def test_bad_heads(raw, status):
    assert status_of(raw) == status


BAD_HEADS = [raw for raw, _ in test_bad_heads.pytestmark[0].args[1]]
GOOD_HEADS = [
    b'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Y:  z \r\n\r\n',
    b'POST /p HTTP/1.0\r\nContent-Length: 3\r\nX-E:\r\nX-T: a\tb\r\n\r\n',
    b'GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\nX-U: \xc3\xa9\xc2\x80\r\n\r\n',
    b'GET / HTTP/1.1\r\n\r\n',
    b'GET / HTTP/1.1\r\n' + b'A: b\r\n' * 5 + b'\r\n',
    b'GET / HTTP/1.1\r\nX: ' + b'a' * 93 + b'\r\n\r\n',
]


@pytest.mark.skipif(http11._plain_head is None, reason='no one-pass parser on this runtime')
@pytest.mark.parametrize('raw', GOOD_HEADS + BAD_HEADS + [
    b'\r\nGET / HTTP/1.0\nHost: x\n\n', b'GET http://e/p HTTP/1.1\r\nHost: e\r\n\r\n',
    b'OPTIONS * HTTP/1.1\r\n\r\n', b'GET / HTTP/1.1\r\n' + b'A: b\r\n' * 6 + b'\r\n'])
def test_one_pass_parser_agrees_with_the_line_by_line_one(raw, monkeypatch):
    # the one-pass parser takes the usual heads only; every other head, valid or not, is left to
    # the line-by-line parser, so both give the same answer
    fast = http11._parse_plain_head(raw, Limits)
    monkeypatch.setattr(http11, '_plain_head', None)
    try:
        careful = parse(raw)
    except ProtocolError:
        careful = None
    assert fast is None or fast == careful
    if raw in GOOD_HEADS:
        assert fast is not None and careful is not None


def test_find_head_end():
    assert find_head_end(b'GET / HTTP/1.1\r\n\r\nxx') == 18
    assert find_head_end(b'GET / HTTP/1.1\n\nxx') == 16
    assert find_head_end(b'GET / HTTP/1.1\r\nHost: x\r\n') == -1


def framing(version, *headers):
    return request_body_framing(
        version, [v for k, v in headers if k.lower() == 'transfer-encoding'],
        [v for k, v in headers if k.lower() == 'content-length'])


def test_body_framing():
    assert framing('1.1') == ('length', 0)
    assert framing('1.1', ('Content-Length', '12')) == ('length', 12)
    assert framing('1.1', ('Transfer-Encoding', 'chunked')) == ('chunked', None)
    assert framing('1.1', ('Transfer-Encoding', 'Chunked ')) == ('chunked', None)


@pytest.mark.parametrize('version,headers,status', [
    ('1.1', [('Content-Length', '1'), ('Transfer-Encoding', 'chunked')], 400),
    ('1.1', [('Content-Length', '1'), ('Content-Length', '1')], 400),
    ('1.1', [('Content-Length', '1, 1')], 400),
    ('1.1', [('Content-Length', '-1')], 400),
    ('1.1', [('Content-Length', '+1')], 400),
    ('1.1', [('Content-Length', '0x10')], 400),
    ('1.1', [('Content-Length', '')], 400),
    ('1.1', [('Transfer-Encoding', 'gzip, chunked')], 501),
    ('1.1', [('Transfer-Encoding', 'chunked, gzip')], 400),
    ('1.1', [('Transfer-Encoding', 'chunked'), ('Transfer-Encoding', 'chunked')], 501),
    ('1.1', [('Transfer-Encoding', 'identity')], 400),
    ('1.0', [('Transfer-Encoding', 'chunked')], 400),
])
def test_ambiguous_framing_refused(version, headers, status):
    with pytest.raises(ProtocolError) as exc:
        framing(version, *headers)
    assert exc.value.status_code == status


def test_keep_alive():
    assert wants_keep_alive('1.1', [])
    assert not wants_keep_alive('1.1', ['close'])
    assert not wants_keep_alive('1.0', [])
    assert wants_keep_alive('1.0', ['Keep-Alive'])
    assert not wants_keep_alive('1.1', ['upgrade, close'])
    assert not wants_keep_alive('1.1', ['upgrade', 'close'])


def test_chunk_size():
    assert parse_chunk_size(b'1a', 100) == 26
    assert parse_chunk_size(b'0;ext=1', 100) == 0
    for bad in (b'', b'g', b'-1', b'0x1', b'1 2', b'1' * 17):
        with pytest.raises(ProtocolError):
            parse_chunk_size(bad, 10 ** 30)
    with pytest.raises(ProtocolError) as exc:
        parse_chunk_size(b'ff', 10)
    assert exc.value.status_code == 413


def test_response_head():
    head = response_head('1.1', 200, None, [('A', 'b'), ('Set-Cookie', ['x=1', 'y=2'])])
    lines = head.split(b'\r\n')
    assert lines[0] == b'HTTP/1.1 200 OK'
    assert b'Set-Cookie: x=1' in lines and b'Set-Cookie: y=2' in lines
    assert any(line.startswith(b'Date: ') for line in lines)
    assert head.endswith(b'\r\n\r\n')
    assert response_head('1.1', 599, 'Custom', []).startswith(b'HTTP/1.1 599 Custom\r\n')
    with pytest.raises(ValueError):
        response_head('1.1', 200, None, [('X', 'a\r\nInjected: yes')])
    for name, value, reason in (('X', 'a\rb', None), ('X\n', 'a', None), ('X', ['a', 'b\n'], None),
                                ('X', 'a', 'OK\r\nInjected: yes')):
        with pytest.raises(ValueError):
            response_head('1.1', 200, reason, [(name, value)])
    assert b'\r\nX-Int: 3\r\n' in response_head('1.1', 200, None, [('X-Int', 3)])


def test_reasons_and_dates():
    assert reason_phrase(404) == 'Not Found' and reason_phrase(299) == ''
    assert http_date(0) == 'Thu, 01 Jan 1970 00:00:00 GMT'
    assert http_date(784111777) == 'Sun, 06 Nov 1994 08:49:37 GMT'
