"""Command line: ``python -m microdot extensions`` and ``python -m microdot run module:app``.

CPython only (argparse, importlib.metadata through the registry).
"""
import argparse
import os
import sys

from microdot import registry


# ---------------------------------------------------------------------------------------------
# python -m microdot extensions
# ---------------------------------------------------------------------------------------------

def _compatibility_text(info):
    if info.compatible:
        return 'yes' if not info.reason else 'yes ({})'.format(info.reason)
    return 'NO: {}'.format(info.reason)


def _table(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        lines.append('  '.join(cells).rstrip())
    return lines


def extensions_report():
    """The text ``python -m microdot extensions`` prints."""
    lines = ['microdot-core {} (extension API {}), Python {}'.format(
        registry.core_version(), registry.EXTENSION_API, sys.version.split()[0]), '']
    infos = registry.list_extensions()
    if infos:
        rows = [('name', 'distribution', 'version', 'points to', 'compatible')]
        for info in infos:
            rows.append((info.name, info.distribution or '(registered)', info.version or '-',
                         info.target, _compatibility_text(info)))
        rows.insert(1, tuple('-' * len(cell) for cell in rows[0]))
        lines.extend(_table(rows))
    else:
        lines.append('No microdot extensions are installed.')
    installed = set(info.name for info in infos)
    missing = [name for name in sorted(registry.FIRST_PARTY) if name not in installed]
    if missing:
        lines.extend(['', 'First-party extensions not installed:'])
        rows = [(name, 'pip install ' + registry.FIRST_PARTY[name][1]) for name in missing]
        lines.extend('  ' + line for line in _table(rows))
    return '\n'.join(lines)


def command_extensions(args):
    print(extensions_report())
    return 0


# ---------------------------------------------------------------------------------------------
# python -m microdot run module:app
# ---------------------------------------------------------------------------------------------

def find_app(spec):
    """Import ``module:attr`` (``attr`` defaults to ``app``) and return the application object.

    Raises SystemExit with a one-line message when the module or attribute does not exist; an
    error raised from inside the user's module keeps its traceback (it is a bug to see there).
    """
    module_name, _, attr = spec.partition(':')
    attr = attr or 'app'
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        __import__(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name or module_name.startswith('{}.'.format(exc.name)):
            raise SystemExit('error: cannot import {!r}: no module named {!r} (run from the folder '
                             'that holds it, or add it to PYTHONPATH)'.format(module_name, exc.name))
        raise
    obj = sys.modules[module_name]
    for part in attr.split('.'):
        if not hasattr(obj, part):
            raise SystemExit('error: module {!r} has no attribute {!r}'.format(module_name, attr))
        obj = getattr(obj, part)
    if not callable(getattr(obj, 'run', None)):
        raise SystemExit('error: {} is not a microdot application (it has no run() method)'.format(spec))
    return obj


def command_run(args):
    app = find_app(args.app)
    try:
        app.run(host=args.host, port=args.port, debug=args.debug)
    except KeyboardInterrupt:
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

def build_parser():
    parser = argparse.ArgumentParser(prog='python -m microdot',
                                     description='microdot command line tools')
    parser.add_argument('--version', action='version',
                        version='microdot-core {}'.format(registry.core_version()))
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    ext = commands.add_parser('extensions', help='list installed extensions and their compatibility')
    ext.set_defaults(handler=command_extensions)
    run = commands.add_parser('run', help='run an app on the built-in server')
    run.add_argument('app', metavar='MODULE:APP',
                     help='the app to run, e.g. myapp:app (APP defaults to "app")')
    run.add_argument('--host', default='127.0.0.1',
                     help='address to listen on (default 127.0.0.1; use 0.0.0.0 for every interface)')
    run.add_argument('--port', type=int, default=5000, help='port to listen on (default 5000)')
    run.add_argument('--debug', action='store_true', help='debug mode: log requests and errors')
    run.set_defaults(handler=command_run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `python -m microdot` shows what it can do
        parser.print_help(sys.stderr)
        return 2
    return args.handler(args)


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BrokenPipeError:  # `python -m microdot extensions | head`: the reader left early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
