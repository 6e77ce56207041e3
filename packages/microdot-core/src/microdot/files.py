"""Responses that send files (``Response.send_file``, ``send_from_directory``). Loaded on first
use, so that an app that sends no file does not keep this code in memory (MicroPython)."""
import os

from .http11 import HTTPException
from .response import Response


def send_file(cls, filename, status_code=200, content_type=None, stream=None, max_age=None,
              compressed=False, file_extension=''):
    """``cls.send_file(...)``: a response of class ``cls`` that streams a file. The file name is
    trusted: never build it from request data (use ``send_from_directory`` for that)."""
    if content_type is None:
        name = filename[:-3] if compressed and filename.endswith('.gz') else filename
        ext = name.rsplit('.', 1)[-1] if '.' in name.rsplit('/', 1)[-1] else ''
        content_type = cls.types_map.get(ext.lower(), 'application/octet-stream')
    headers = {'Content-Type': content_type}
    if max_age is None:
        max_age = cls.default_send_file_max_age
    if max_age is not None:
        headers['Cache-Control'] = 'max-age={}'.format(max_age)
    if compressed:
        headers['Content-Encoding'] = compressed if isinstance(compressed, str) else 'gzip'
    if stream is None:
        path = filename + file_extension
        headers['Content-Length'] = str(os.stat(path)[6])
        stream = open(path, 'rb')
    return cls(body=stream, status_code=status_code, headers=headers)


def send_from_directory(directory, path, **kwargs):
    """Send ``directory/path`` where ``path`` comes from the request. Anything that could leave the
    folder (``..``, absolute paths, backslashes, NUL, symlinks pointing out) or is missing gives 404."""
    if not path or '\x00' in path or '\\' in path or path.startswith('/') or ':' in path:
        raise HTTPException(404, 'Not found')
    parts = path.split('/')
    if '..' in parts or '.' in parts or '' in parts:
        raise HTTPException(404, 'Not found')
    full = directory.rstrip('/') + '/' + path
    realpath = getattr(getattr(os, 'path', None), 'realpath', None)
    try:
        if realpath is not None:
            root = realpath(directory)
            if not realpath(full).startswith(root.rstrip('/') + '/'):
                raise HTTPException(404, 'Not found')
        elif _symlink_on_the_way(directory, parts):
            raise HTTPException(404, 'Not found')
        if os.stat(full)[0] & 0o170000 != 0o100000:  # not a regular file
            raise HTTPException(404, 'Not found')
    except OSError:
        raise HTTPException(404, 'Not found')
    return Response.send_file(full, **kwargs)


S_IFLNK = 0o120000


def _symlink_on_the_way(directory, parts):
    """MicroPython has no ``realpath`` to tell where a symbolic link leads, so any link below
    ``directory`` is refused; ``ilistdir`` gives each entry's type without following it."""
    folder = directory.rstrip('/') or '/'
    for name in parts:
        for entry in os.ilistdir(folder):
            if entry[0] == name:
                if entry[1] == S_IFLNK:
                    return True
                break
        folder = folder.rstrip('/') + '/' + name
    return False
