"""Render the microdot plugin template into a new project folder.

    python templates/plugin/render.py NAME DEST [--core-range SPEC] [--author TEXT] [--description TEXT]

NAME is the extension name (a lower-case Python identifier, e.g. ``request_id``); it gives the
distribution ``microdot-<name>`` (underscores become dashes), the module ``microdot_<name>`` and the
class (``RequestId``). Every ``{{key}}`` below is replaced in file contents and file names; other
braces (such as GitHub's ``${{ matrix.python }}``) are left alone. Needs only the standard library.
"""
import argparse
import datetime
import os
import re
import sys

SKELETON = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'skeleton')
CORE_INIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'packages',
                         'microdot-core', 'src', 'microdot', '__init__.py')


def current_core_version():
    """The core version of this checkout, else of the installed microdot, else None."""
    try:
        with open(CORE_INIT) as f:
            match = re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", f.read(), re.M)
        if match:
            return match.group(1)
    except OSError:
        pass
    try:
        import microdot
        return microdot.__version__
    except (ImportError, AttributeError):
        return None


def default_core_range(version):
    """``>=X.Y,<X+1``: from the core the plugin is written against up to the next major release
    (the core changes its major version whenever the extension seam breaks)."""
    major, minor = (int(part) for part in version.split('.')[:2])
    return '>={}.{},<{}'.format(major, minor, major + 1)


def lowest_version(core_range):
    match = re.search(r'(?:>=|~=|==)\s*([0-9][0-9a-zA-Z.]*)', core_range)
    if not match:
        raise SystemExit('error: the core range {!r} has no lower bound (>=, ~= or ==); '
                         'plugins declare the oldest core they work with'.format(core_range))
    return match.group(1)


def values_for(name, core_range, author, description):
    if not re.match(r'^[a-z][a-z0-9_]*$', name):
        raise SystemExit('error: NAME must be a lower-case Python identifier, e.g. request_id')
    return {
        'name': name,
        'dist': 'microdot-' + name.replace('_', '-'),
        'module': 'microdot_' + name,
        'class': ''.join(part.capitalize() for part in name.split('_')),
        'core_range': core_range,
        'core_min': lowest_version(core_range),
        'author': author,
        'description': description,
        'year': str(datetime.date.today().year),
    }


def substitute(text, values):
    for key, value in values.items():
        text = text.replace('{{' + key + '}}', value)
    return text


def render(dest, values):
    if os.path.exists(dest) and os.listdir(dest):
        raise SystemExit('error: {} exists and is not empty'.format(dest))
    written = []
    for folder, _, files in os.walk(SKELETON):
        if '__pycache__' in folder:
            continue
        for filename in files:
            source = os.path.join(folder, filename)
            relative = substitute(os.path.relpath(source, SKELETON), values)
            target = os.path.join(dest, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(source, encoding='utf-8') as f:
                text = substitute(f.read(), values)
            leftover = re.findall(r'\{\{[a-z_]+\}\}', text + relative)
            if leftover:
                raise SystemExit('error: unknown placeholders {} in {}'.format(leftover, relative))
            with open(target, 'w', encoding='utf-8') as f:
                f.write(text)
            written.append(relative)
    return sorted(written)


def main(argv=None):
    parser = argparse.ArgumentParser(description='Render the microdot plugin template.')
    parser.add_argument('name', help='extension name, a lower-case identifier (e.g. request_id)')
    parser.add_argument('dest', help='folder to create the plugin project in')
    parser.add_argument('--core-range', help='supported microdot-core versions (default: from '
                        'the current core up to its next major version, e.g. ">=0.1,<1")')
    parser.add_argument('--author', default='Your Name')
    parser.add_argument('--description', default='A microdot extension.')
    args = parser.parse_args(argv)
    core_range = args.core_range
    if core_range is None:
        version = current_core_version()
        if version is None:
            raise SystemExit('error: cannot tell the core version here; pass --core-range')
        core_range = default_core_range(version)
    values = values_for(args.name, core_range.replace(' ', ''), args.author, args.description)
    for path in render(args.dest, values):
        print(os.path.join(args.dest, path))
    print('{} is ready: it supports microdot-core{}'.format(values['dist'], values['core_range']),
          file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
