"""Behind a reverse proxy and with TLS: forwarded headers count only when the server is told to
trust the proxy (the adapters never read X-Forwarded-* themselves), and TLS terminated by the
server shows as ``request.scheme == 'https'``."""
import ssl
import subprocess

import httpx
import pytest

from conftest import start_server

FORWARDED = {'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https'}


def info(srv, **kwargs):
    return httpx.get(srv.url + '/info/x', headers=FORWARDED, **kwargs).json()


@pytest.mark.parametrize('runtime,args', [
    ('uvicorn', ('--no-proxy-headers',)),
    ('uvicorn', ('--proxy-headers', '--forwarded-allow-ips', '192.0.2.1')),
    ('gunicorn', ('--forwarded-allow-ips', '192.0.2.1')),
])
def test_forwarded_headers_ignored_from_untrusted_peers(runtime, args, data_file):
    srv = start_server(runtime, data_file, extra_args=args)
    try:
        got = info(srv)
        assert got['client'][0] == '127.0.0.1'
        assert got['scheme'] == 'http'
        assert got['headers']['X-Forwarded-For'] == '203.0.113.7'  # still visible as a header
    finally:
        srv.stop()


@pytest.mark.parametrize('runtime,args', [
    ('uvicorn', ('--proxy-headers', '--forwarded-allow-ips', '127.0.0.1')),
    ('gunicorn', ('--forwarded-allow-ips', '127.0.0.1')),
])
def test_forwarded_headers_from_a_trusted_proxy(runtime, args, data_file):
    srv = start_server(runtime, data_file, extra_args=args)
    try:
        got = info(srv)
        assert got['scheme'] == 'https'
        if runtime == 'uvicorn':  # gunicorn leaves REMOTE_ADDR alone (X-Forwarded-For is a header)
            assert got['client'][0] == '203.0.113.7'
    finally:
        srv.stop()


@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp('tls')
    key, cert = str(folder / 'key.pem'), str(folder / 'cert.pem')
    try:
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                        '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
                        '-addext', 'subjectAltName=IP:127.0.0.1'],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip('openssl cannot make a test certificate: {!r}'.format(exc))
    return key, cert


@pytest.mark.parametrize('runtime', ['uvicorn', 'gunicorn'])
def test_tls_terminated_by_the_server(runtime, certificate, data_file):
    key, cert = certificate
    args = ('--ssl-keyfile', key, '--ssl-certfile', cert) if runtime == 'uvicorn' else \
        ('--keyfile', key, '--certfile', cert)
    context = ssl.create_default_context(cafile=cert)
    srv = start_server(runtime, data_file, extra_args=args, scheme='https', verify=context)
    try:
        got = httpx.get(srv.url + '/info/x', verify=context).json()
        assert got['scheme'] == 'https'
        res = httpx.get(srv.url + '/stream/2', verify=context)
        assert res.text == 'chunk 1\nchunk 2\n'
    finally:
        srv.stop()
