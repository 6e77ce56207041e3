"""Markdown table, target checks and PNG chart from bench/run.py's results.json.

    python bench/report.py [bench/results/results.json]    (re-renders results.md and results.png)
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
    """[(target, figure, met)] for issue 12's targets."""
    r = report['results']
    rate = lambda s, sc: _rate(r.get(s, {}).get(sc))
    ratio = lambda a, b, sc='get_c32': (rate(a, sc) / rate(b, sc)) if rate(a, sc) and rate(b, sc) else None
    rows = []

    def add(text, value, met, fmt='{:.2f}x'):
        rows.append((text, 'n/a' if value is None else fmt.format(value),
                     'n/a' if value is None else ('met' if met(value) else 'NOT met')))
    add('built-in GET / c32 >= 5x Microdot 2.6.2 built-in', ratio('ours-builtin', 'md262-builtin'),
        lambda v: v >= 5)
    add('built-in GET / c32 >= 1.2x Starlette uvicorn+httptools/uvloop',
        ratio('ours-builtin', 'starlette-uvicorn-fast'), lambda v: v >= 1.2)
    ours99 = _get(r, 'ours-builtin', 'get_c256', 'p99_ms')
    star99 = _get(r, 'starlette-uvicorn-fast', 'get_c256', 'p99_ms')
    add('built-in p99 at c256 <= Starlette\'s ({} ms)'.format(_fmt(star99, 1)), ours99,
        lambda v: star99 is not None and v <= star99, '{:.1f} ms')
    add('uvicorn (h11/asyncio) >= Starlette on the same', ratio('ours-uvicorn', 'starlette-uvicorn'),
        lambda v: v >= 1)
    add('uvicorn (httptools/uvloop) >= Starlette on the same',
        ratio('ours-uvicorn-fast', 'starlette-uvicorn-fast'), lambda v: v >= 1)
    add('gunicorn >= 1.2x Flask on the same', ratio('ours-gunicorn', 'flask-gunicorn'),
        lambda v: v >= 1.2)
    add('MicroPython >= 2x Microdot 2.6.2 on MicroPython',
        ratio('ours-micropython', 'md262-micropython'), lambda v: v >= 2)
    add('MicroPython p99 at c32 < 50 ms', _get(r, 'ours-micropython', 'get_c32', 'p99_ms'),
        lambda v: v < 50, '{:.1f} ms')
    for key, when in (('mp_heap_start_collect', 'start-up'), ('mp_heap_collect', 'load')):
        oh = r.get('ours-micropython', {}).get(key, {}).get('alloc')
        th = r.get('md262-micropython', {}).get(key, {}).get('alloc')
        add('MicroPython heap after {} + collect <= 2.6.2\'s ({} B)'.format(when, _fmt(th)), oh,
            lambda v, th=th: th is not None and v <= th, '{:,.0f} B')
    for check in report.get('small_heaps', []):
        if check['who'] != 'ours':
            continue
        survived = check.get('started') and check.get('alive_after')
        rows.append(('hello app from .{} on {} heap, {} conns: starts and survives'.format(
            check['flavour'], check['heap'], check['conns']),
            '{} req/s, {} errors'.format(_fmt(check.get('rps')), check.get('errors', 'n/a'))
            if check.get('started') else 'did not start',
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
               m['wrk'], report['duration_s'], report['rounds'], ' '.join(m['loadavg'])),
           '', '## Targets', '', '| target | figure | |', '|---|---:|---|']
    out += ['| {} | {} | {} |'.format(*row) for row in targets(report)]

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
        out += ['', '## Small MicroPython heaps (bench/hello_app.py)', '',
                '| server | modules | heap | connections | started | req/s | errors | alive after load |',
                '|---|---|---|---:|---|---:|---:|---|']
        for c in report['small_heaps']:
            out.append('| {} | .{} | {} | {} | {} | {} | {} | {} |'.format(
                'microdot' if c['who'] == 'ours' else 'Microdot 2.6.2', c['flavour'], c['heap'],
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
                                          ('json_c32', 'GET /json at 32 connections (req/s)', None),
                                          ('get_c256', 'GET / at 256 connections: p99 (ms)', 'p99_ms')]):
        values = [(_get(r, s, sc, key) if key else _rate(r.get(s, {}).get(sc))) or 0 for s in names]
        ax.barh(range(len(names)), values, color=colours)
        ax.set_title(title)
        for i, v in enumerate(values):
            ax.text(v, i, ' {:,.0f}'.format(v) if v >= 10 else ' {:.1f}'.format(v), va='center', fontsize=8)
        if key:
            ax.set_xscale('log')
    axes[0].set_yticks(range(len(names)))
    axes[0].set_yticklabels(labels)
    axes[0].invert_yaxis()
    fig.suptitle('microdot (blue) vs Microdot 2.6.2 (orange) and peers (grey), {}'.format(
        report['machine']['date']))
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return True


def write(report, out):
    with open(os.path.join(out, 'results.md'), 'w') as f:
        f.write(markdown(report))
    chart(report, os.path.join(out, 'results.png'))
    print(markdown(report))


if __name__ == '__main__':
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                              'results', 'results.json')
    with open(path) as f:
        write(json.load(f), os.path.dirname(path))
