"""Templates, black box over real sockets (routes: tests/apps/templates_routes.py).

uTemplate on every runtime, MicroPython included (from its single-file build, with templates
compiled on first use and templates compiled in advance); Jinja where the server has it.
Every template output (a str, a generator, an async iterator) is returned from a route and
must stream.
"""
import os
import socket
import sys

import httpx
import pytest

from conftest import OWN_PROTOCOL, require

APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'apps')
HOW = ['render', 'generate', 'generate_async', 'render_async']
STREAMED = {'generate', 'generate_async'}
N = 2000  # about 24 KB: some 23 chunks of 1 KiB


@pytest.fixture
def templates(server):
    require(server, 'templates_routes')
    return server


def engines(server):
    return httpx.get(server.url + '/templates/engines', timeout=10).json()


def get_chunks(server, path, timeout=20):
    """``(status, headers, chunks)`` of a GET, with the chunked framing kept visible."""
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    try:
        sock.sendall('GET {} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n'.format(
            path).encode())
        reader = sock.makefile('rb')
        status = int(reader.readline().split()[1])
        headers = {}
        while True:
            line = reader.readline()
            if line in (b'\r\n', b''):
                break
            name, value = line.decode('latin-1').split(':', 1)
            headers[name.strip().lower()] = value.strip()
        if headers.get('transfer-encoding', '').lower() != 'chunked':
            length = headers.get('content-length')
            return status, headers, [reader.read(int(length)) if length else reader.read()]
        chunks = []
        while True:
            size = int(reader.readline().split(b';')[0].strip(), 16)
            if size == 0:
                break
            chunks.append(reader.read(size))
            assert reader.read(2) == b'\r\n'
        return status, headers, chunks
    finally:
        sock.close()


def assert_chunk_sizes(chunks, size, slack=64):
    """At least ``size`` bytes in each chunk but the last, and not much more."""
    assert len(chunks) >= 2, 'one blob'
    for chunk in chunks[:-1]:
        assert size <= len(chunk) < size + slack, len(chunk)
    assert 0 < len(chunks[-1]) < size + slack


# --- uTemplate ------------------------------------------------------------------------------------

@pytest.mark.parametrize('how', HOW)
def test_utemplate_outputs_from_routes(templates, how):
    status, headers, chunks = get_chunks(templates, '/templates/utemplate/list/{}?n={}'.format(
        how, N))
    assert status == 200
    assert b''.join(chunks).decode() == ''.join('<li>{}</li>\n'.format(i) for i in range(N))
    if how in STREAMED:
        assert headers.get('transfer-encoding') == 'chunked'
        assert 'content-length' not in headers
        if templates.runtime in OWN_PROTOCOL:
            assert_chunk_sizes(chunks, 1024)  # streamed in chunks of 1 KiB, not as one blob
    else:
        assert headers['content-length'] == str(len(b''.join(chunks)))


def test_utemplate_streams_a_large_page(templates):
    n = 20000
    with httpx.stream('GET', templates.url + '/templates/utemplate/list/generate_async?n={}'
                      .format(n), timeout=60) as res:
        assert res.status_code == 200
        size = sum(len(b) for b in res.iter_bytes())
    assert size == sum(len('<li>{}</li>\n'.format(i)) for i in range(n))


def test_utemplate_escaping_of_user_input(templates):
    res = httpx.get(templates.url + '/templates/utemplate/hello',
                    params={'name': '<script>alert("x")</script>'}, timeout=10)
    assert res.status_code == 200
    assert res.headers['content-type'].startswith('text/html')
    assert res.text == ('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">Hello, '
                        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;!</p>\n')


def test_utemplate_precompiled_templates(templates):
    res = httpx.get(templates.url + '/templates/utemplate/precompiled?n=4', timeout=10)
    assert res.status_code == 200
    assert res.text == '<h1>precompiled</h1>\n0;\n1;\n4;\n9;\n'


def test_utemplate_precompiled_templates_are_up_to_date():
    # the committed compiled modules are what the engine makes of their sources today
    pytest.importorskip('utemplate.source')
    sys.path.insert(0, APPS)
    try:
        import templates_routes
    finally:
        sys.path.remove(APPS)
    for path, text in templates_routes.precompile().items():
        with open(path) as f:
            assert f.read() == text, '{} is stale: python tests/apps/templates_routes.py ' \
                                     'precompile'.format(path)


def test_utemplate_folder_per_app_and_process_default(templates):
    assert httpx.get(templates.url + '/templates/utemplate/which', timeout=10).text == \
        'app folder\n'
    assert httpx.get(templates.url + '/templates/utemplate/which-default', timeout=10).text == \
        'default folder\n'


def test_utemplate_missing_template_is_a_500(templates):
    res = httpx.get(templates.url + '/templates/utemplate/missing', timeout=10)
    assert res.status_code == 500
    assert 'no-such-template' not in res.text  # no internals on the wire


# --- Jinja (CPython runtimes) --------------------------------------------------------------------

@pytest.fixture
def jinja(templates):
    if 'jinja' not in engines(templates):
        pytest.skip('Jinja is not available on the {} server'.format(templates.runtime))
    return templates


def test_jinja_autoescapes_html(jinja):
    res = httpx.get(jinja.url + '/templates/jinja/hello', params={'name': '<b>"x"</b>'},
                    timeout=10)
    assert res.text == ('<p title="&lt;b&gt;&#34;x&#34;&lt;/b&gt;">Hello, '
                        '&lt;b&gt;&#34;x&#34;&lt;/b&gt;!</p>')


@pytest.mark.parametrize('how', HOW)
def test_jinja_outputs_from_routes(jinja, how):
    status, headers, chunks = get_chunks(jinja, '/templates/jinja/list/{}?n={}'.format(how, N))
    assert status == 200
    assert b''.join(chunks).decode() == ''.join('<li>{}</li>\n'.format(i) for i in range(N))
    if how in STREAMED:
        assert headers.get('transfer-encoding') == 'chunked'
        if jinja.runtime in OWN_PROTOCOL:
            if how == 'generate':
                assert_chunk_sizes(chunks, 1024)
            else:  # async: Jinja's pieces go out as they come
                assert len(chunks) >= N
