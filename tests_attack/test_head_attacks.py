"""Hostile request lines and headers, over raw sockets, on every runtime.

The conformance suite already covers folding, space before the colon, NUL in a value, bare CR,
repeated Host, TLS on the HTTP port, 505 and the size limits (imported by
test_reused_conformance.py); these are the other cases of issue 13. On microdot's own server
(cpython, micropython) the exact status is checked; under uvicorn and gunicorn their parser
decides, and the case only checks that the refusal is a 4xx (never a 5xx) or a clean close and
that nothing smuggled is answered. Every case is followed by the liveness check of conftest.py.
"""
import pytest

from attack import assert_refused, assert_served, probe
from conftest import OWN_PROTOCOL



def head(line, *headers, host=True):
    out = line + b'\r\n'
    if host:
        out += b'Host: x\r\n'
    for h in headers:
        out += h + b'\r\n'
    return out + b'\r\n'


def refused(server, data, statuses=(400,)):
    assert_refused(probe(server, data), statuses, server.runtime in OWN_PROTOCOL)


# --- request line ---------------------------------------------------------------------------------

@pytest.mark.parametrize('line', [
    b'G\x01T /core/text HTTP/1.1',
    b'GE\x7fT /core/text HTTP/1.1',
    b'GET\t/core/text HTTP/1.1',
    b'GET /core/text\tHTTP/1.1',
    b'@GET /core/text HTTP/1.1',
    b'GE"T /core/text HTTP/1.1',
    b'G\xc3\xa9T /core/text HTTP/1.1',
    b' GET /core/text HTTP/1.1',
    b'GET /core/text HTTP/1.1 ',
    b'/core/text HTTP/1.1',
    b'GET',
], ids=['ctl', 'del', 'tab-sep', 'tab-before-version', 'at', 'quote', 'utf8', 'leading-space',
        'trailing-space', 'no-method', 'method-only'])
def test_bad_method_or_request_line(server, line):
    refused(server, head(line))


@pytest.mark.parametrize('version', [b'HTTP/1', b'HTTP/1.1.1', b'HTTP/11', b'HTTP/x.y', b'FOO/1.1',
                                     b'HTTP /1.1', b'HTTP/1.1\x00', b'HTTP/-1.1'])
def test_bad_version(server, version):
    refused(server, head(b'GET /core/text ' + version))


def test_non_ascii_digit_in_version(server):
    # U+0661 ARABIC-INDIC DIGIT ONE passes str.isdigit(): refused either way
    refused(server, head(b'GET /core/text HTTP/\xd9\xa1.1'), (400, 505))


@pytest.mark.parametrize('version', [b'HTTP/2.0', b'HTTP/3.0', b'HTTP/0.9', b'HTTP/9.9'])
def test_unsupported_version(server, version):
    refused(server, head(b'GET /core/text ' + version), (505, 400))


def test_http2_preface(server):
    refused(server, b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + b'\x00\x00\x12\x04\x00\x00\x00\x00\x00',
            (505, 400))


def test_http2_preface_with_upgrade_header_is_answered_as_http11(server):
    # h2c upgrade is an HTTP/1.1 request that may be ignored (RFC 9113 drops it): served as 1.1
    outcome = probe(server, head(b'GET /core/text HTTP/1.1', b'Connection: Upgrade, HTTP2-Settings',
                                 b'Upgrade: h2c', b'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA'))
    assert outcome.first is not None and outcome.first.status in (200, 400), outcome
    assert outcome.first.status != 101


def test_absolute_form_target_is_served_by_path(server):
    # RFC 9112 3.2.2: a server must accept the absolute form; the path decides the route (under
    # uvicorn/gunicorn the ASGI/WSGI path is whatever their parser made of it: no 5xx is the rule)
    outcome = probe(server, head(b'GET http://elsewhere.example/core/text HTTP/1.1'))
    if server.runtime in OWN_PROTOCOL:
        assert_served(outcome)
    else:
        assert outcome.first is not None and outcome.first.status in (200, 400, 404), outcome


@pytest.mark.parametrize('target', [b'ftp://x/core/text', b'http//x/core/text', b'x:80',
                                    b'javascript:alert(1)', b'*'])
def test_other_target_forms(server, target):
    # authority-form belongs to CONNECT and asterisk-form to OPTIONS: a GET with one is refused
    # (400), or answered 404 by a server that routes the target as a path; never a 5xx
    outcome = probe(server, head(b'GET ' + target + b' HTTP/1.1'))
    if server.runtime in OWN_PROTOCOL:
        assert_refused(outcome, (400,), True)
    else:
        # uvicorn with httptools routes the path of an absolute URL whatever its scheme (200):
        # its parser's decision; what counts here is no 5xx
        assert outcome.first is None or outcome.first.status in (200, 400, 404), outcome


# --- invalid percent-encoding and invalid UTF-8 ---------------------------------------------------

@pytest.mark.parametrize('path', [b'/core/path/%zz', b'/core/path/%ff',
                                  b'/core/path/%c0%af',
                                  b'/core/path/%e2%82',
                                  b'/core/path/%ed%a0%80',
                                  b'/core/int/%zz'])
def test_invalid_percent_encoding_in_path(server, path):
    # a routed segment that does not decode is a bad request (400), never a 500 and a traceback
    # (hardening.md #1); an undecodable segment no route can match may also be a 404
    outcome = probe(server, head(b'GET ' + path + b' HTTP/1.1'))
    assert outcome.first is not None, outcome
    assert outcome.first.status in (400, 404), outcome
    assert b'Traceback' not in outcome.first.body


def test_lone_percent_in_path_stays_literal(server):
    outcome = probe(server, head(b'GET /core/path/a% HTTP/1.1'))
    assert outcome.first is not None and outcome.first.status in (200, 400), outcome
    if outcome.first.status == 200:
        assert outcome.first.body == b'{"rest": "a%"}', outcome


@pytest.mark.parametrize('query', [b'a=%zz', b'a=%ff', b'%ff=1', b'a=%c0%af', b'a=%', b'a=%e2%82'])
def test_invalid_percent_encoding_in_query(server, query):
    outcome = probe(server, head(b'GET /core/request?' + query + b' HTTP/1.1'))
    assert outcome.first is not None and outcome.first.status in (200, 400), outcome
    if outcome.first.status == 200:
        # accepted only by decoding it losslessly: a lone '%' stays literal, nothing invented
        assert b'\\ufffd' not in outcome.first.body and b'\xef\xbf\xbd' not in outcome.first.body


@pytest.mark.parametrize('where', ['path', 'query', 'header', 'cookie', 'header-name'])
@pytest.mark.parametrize('junk', [b'\xff', b'\xc0\xaf', b'\xed\xa0\x80', b'\xe9t\xe9'],
                         ids=['ff', 'overlong', 'surrogate', 'latin1'])
def test_invalid_utf8(server, where, junk):
    line, headers = b'GET /core/request HTTP/1.1', []
    if where == 'path':
        line = b'GET /core/path/' + junk + b' HTTP/1.1'
    elif where == 'query':
        line = b'GET /core/request?a=' + junk + b' HTTP/1.1'
    elif where == 'header':
        headers = [b'X-Junk: ' + junk]
    elif where == 'cookie':
        headers = [b'Cookie: a=' + junk + b'; b=2']
    else:
        headers = [b'X-' + junk + b': 1']
    refused(server, head(line, *headers))


@pytest.mark.parametrize('where', ['path', 'query', 'header', 'cookie'])
@pytest.mark.parametrize('ctl', [b'\x00', b'\r', b'\x0b', b'\x1b', b'\x7f'],
                         ids=['nul', 'cr', 'vt', 'esc', 'del'])
def test_control_characters(server, where, ctl):
    line, headers = b'GET /core/request HTTP/1.1', []
    if where == 'path':
        line = b'GET /core/path/a' + ctl + b'b HTTP/1.1'
    elif where == 'query':
        line = b'GET /core/request?a=1' + ctl + b'2 HTTP/1.1'
    elif where == 'header':
        headers = [b'X-Ctl: a' + ctl + b'b']
    else:
        headers = [b'Cookie: a=1' + ctl + b'2']
    refused(server, head(line, *headers))


def test_lf_in_a_value_cannot_inject_a_response_header(server):
    # a bare LF ends the header line (RFC 9112 2.2 lets a server accept it); the rest is a new
    # request header, never a response header
    outcome = probe(server, head(b'GET /core/text HTTP/1.1',
                                 b'X-A: 1\nSet-Cookie: injected=1\nX-B: 2'))
    res = outcome.first
    assert res is not None and res.status in (200, 400), outcome
    assert not res.header_list('Set-Cookie'), res


# --- header syntax and Host -----------------------------------------------------------------------

@pytest.mark.parametrize('header', [
    b'Host\t: y', b'X-A\t: 1', b'X-A :1', b' X-A: 1', b'\tX-A: 1', b'X A: 1', b'X-A',
    b'X-(A): 1', b'X-A\x00: 1', b'X-A\r: 1',
], ids=['host-tab', 'tab-before-colon', 'space-before-colon', 'leading-space', 'leading-tab',
        'space-in-name', 'no-colon', 'paren-in-name', 'nul-in-name', 'cr-in-name'])
def test_bad_header_syntax(server, header):
    refused(server, head(b'GET /core/text HTTP/1.1', header))


@pytest.mark.parametrize('hosts', [
    [],
    [b'Host: a', b'host: b'],
    [b'Host: a', b'HOST: a'],
    [b'Host: a, b'],
    [b'Host: a b'],
    [b'Host: a/b'],
    [b'Host: a@b'],
], ids=['missing', 'two-cases', 'same-twice', 'list', 'space', 'slash', 'userinfo'])
def test_missing_duplicate_or_invalid_host(server, hosts):
    refused(server, head(b'GET /core/text HTTP/1.1', *hosts, host=False))


# --- sizes ----------------------------------------------------------------------------------------

def test_oversized_cookie_is_431(server):
    limit = server.limits.get('max_readline') or 1024
    refused(server, head(b'GET /core/cookies HTTP/1.1', b'Cookie: a=' + b'x' * (limit + 10)),
            (431,))


def test_many_cookies_over_the_head_limit_is_431(server):
    # every line under max_readline, fewer lines than max_headers, together over max_head_size
    limit = server.limits.get('max_head_size') or 8192
    line = (server.limits.get('max_readline') or 1024) - 24
    cookies = [b'Cookie: c%d=%s' % (i, b'v' * line) for i in range(limit // line + 2)]
    refused(server, head(b'GET /core/cookies HTTP/1.1', *cookies), (431,))


def test_oversized_method_is_refused(server):
    refused(server, head(b'G' * 5000 + b' /core/text HTTP/1.1'), (400, 414))


def test_head_without_end_over_the_limit_is_431(server):
    # an endless head (no empty line) is refused once it passes max_head_size, not buffered on
    limit = server.limits.get('max_head_size') or 8192
    data = b'GET /core/text HTTP/1.1\r\nHost: x\r\n' + b'X-Pad: ' + b'y' * 500 + b'\r\n'
    data += (b'X-Pad: ' + b'y' * 500 + b'\r\n') * (limit // 500 + 4)
    refused(server, data[:len(data) - 2], (431, 400))
