"""Peak memory while one large upload is saved: this project against another microdot.

    python bench/upload_memory.py --runtime cpython --size-mb 50 [--python PY] [--path DIR]
                                  [--route save|form] [--no-warmup]
    python bench/upload_memory.py --runtime micropython --size-mb 1 --heap 64k --path FLATDIR

``--path`` is put first on PYTHONPATH / MICROPYPATH (a folder holding ``microdot/``); ``--python``
runs the server with another interpreter (a venv with ``microdot==2.6.2`` for the comparison). The
upload is sent by httpx as a stream (a generator), so the client holds one chunk at a time.
Prints the app's JSON answer (see apps/upload_app.py) plus the server's peak RSS (VmHWM)."""
import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, 'apps', 'upload_app.py')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def body(boundary, size, digest):
    yield (b'--' + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
           b'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n')
    block = bytes(range(256)) * 256  # 64 KiB
    sent = 0
    while sent < size:
        chunk = block[:min(len(block), size - sent)]
        digest.update(chunk)
        sent += len(chunk)
        yield chunk
    yield b'\r\n--' + boundary + b'--\r\n'


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--runtime', choices=['cpython', 'micropython'], default='cpython')
    p.add_argument('--size-mb', type=float, default=50)
    p.add_argument('--python', default=sys.executable)
    p.add_argument('--path', default=None)
    p.add_argument('--heap', default='128k')
    p.add_argument('--route', choices=['save', 'form'], default='save',
                   help='save: FormDataIter + FileUpload.save(); form: @with_form_data, then save')
    p.add_argument('--no-warmup', dest='warmup', action='store_false',
                   help='measure the first request of the process (lazy imports included)')
    args = p.parse_args()
    size = int(args.size_mb * 1024 * 1024)
    out = tempfile.mkdtemp(prefix='upload-mem-')
    port = free_port()
    env = dict(os.environ)
    if args.runtime == 'cpython':
        if args.path:
            env['PYTHONPATH'] = args.path
        cmd = [args.python, APP, str(port), out]
    else:
        env['MICROPYPATH'] = (args.path + ':' if args.path else '') + '.frozen'
        cmd = ['micropython', '-X', 'heapsize=' + args.heap,
               APP, str(port), out]
    result = {}
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            cwd=out)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit('server did not start: ' + proc.stderr.read().decode())
                time.sleep(0.1)
        boundary = b'----bench-boundary-7MA4YWxkTrZu0gW'
        framing = len(b'--' + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
                      b'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n' +
                      b'\r\n--' + boundary + b'--\r\n')
        url = 'http://127.0.0.1:{}/{}'.format(port, args.route)
        headers = {'Content-Type': 'multipart/form-data; boundary=' + boundary.decode()}

        def post(n, digest):
            return httpx.post(url, content=body(boundary, n, digest), timeout=600,
                              headers=dict(headers, **{'Content-Length': str(framing + n)}))

        # a 16 KiB upload first (spooled by both projects), so that what the first request
        # imports or builds once is not counted as the upload's memory
        if args.warmup:
            post(16 * 1024, hashlib.sha256()).raise_for_status()
        digest = hashlib.sha256()
        t0 = time.monotonic()
        res = post(size, digest)
        elapsed = time.monotonic() - t0
        result = {'status': res.status_code, 'seconds': round(elapsed, 2)}
        try:
            result.update(res.json())
        except ValueError:
            result['text'] = res.text[:300]
        if res.status_code != 200:
            raise OSError('upload refused: ' + res.text[:300])
        with open(os.path.join(out, 'upload.bin'), 'rb') as f:
            h = hashlib.sha256()
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
        result['intact'] = h.hexdigest() == digest.hexdigest()
    except (OSError, httpx.HTTPError) as exc:
        result = {'error': repr(exc)}
    finally:
        try:  # the server's peak resident memory (Linux), before it is stopped
            with open('/proc/{}/status'.format(proc.pid)) as f:
                for line in f:
                    if line.startswith('VmHWM:'):
                        result['server_peak_rss_kb'] = int(line.split()[1])
        except OSError:
            pass
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if proc.returncode not in (0, -15) and result.get('status') != 200:
            result['server_stderr_tail'] = err.decode(errors='replace')[-500:]
        for name in os.listdir(out):
            os.remove(os.path.join(out, name))
        os.rmdir(out)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
