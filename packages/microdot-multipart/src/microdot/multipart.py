"""multipart/form-data for microdot (RFC 7578): forms with file uploads, in constant memory.

Public: ``with_form_data``, ``FormDataIter``, ``FileUpload``, ``Multipart`` (per-app limits; entry
point ``multipart``), ``sanitize_filename``.

    @app.post('/upload')
    @with_form_data
    async def upload(request):
        title = request.form.get('title')        # a MultiDict: repeated fields are all kept
        for f in request.files.getlist('photo'):
            await f.save('/data/' + f.filename)  # filename already sanitised
        return 'ok'

The body is read from ``request.stream`` in ``chunk_size`` pieces and each part is scanned for the
boundary as it arrives, so memory stays bounded whatever the upload's size: a field is held
in memory up to ``max_field_size``; ``with_form_data`` keeps a file in memory up to
``max_memory_size`` and spools the rest to a temporary file; ``FormDataIter`` hands each file over
as a stream that ``save()`` copies chunk by chunk without keeping it. Uploads larger than the
app's ``max_body_length`` reach the handler as a stream, and anything above the app's
``max_content_length`` (16 KiB by default) is refused with 413 before the handler runs: **raise
``app.max_content_length`` for real uploads.**

Limits (``Multipart(app, ...)`` sets them per app, ``@with_form_data(...)`` per route):
``max_parts`` (100; 413), ``max_part_header_size`` (2048 bytes of part headers; 413),
``max_field_size`` (16 KiB per plain field; 413), ``max_file_size`` (None: only the request's own
limit; 413), ``max_memory_size`` (8 KiB of a file kept in memory before spooling), ``chunk_size``
(4096 bytes read at a time on CPython, 512 on MicroPython), ``spool_dir`` (None: the system's temp folder, or the current
folder where there is none). A malformed body is a 400.

MicroPython-safe: no typing, no f-strings, no async generators, no ``re``.
"""
import os

from microdot import abort
from microdot.helpers import wraps
from microdot.microdot import MICROPYTHON, MultiDict, invoke_handler

__version__ = '0.1.0'
MICRODOT_EXTENSION_API = 1

# small reads on boards: a small heap fragments, and 512-byte blocks still fit in it
_CHUNK_SIZE = 512 if MICROPYTHON else 4096

_SETTINGS = ('max_parts', 'max_part_header_size', 'max_field_size', 'max_file_size',
             'max_memory_size', 'chunk_size', 'spool_dir')


class Multipart:
    """Form-data limits for an app (``app.extensions['multipart']``); see the module's doc."""

    name = 'multipart'

    def __init__(self, app=None, max_parts=100, max_part_header_size=2048,
                 max_field_size=16 * 1024, max_file_size=None, max_memory_size=8 * 1024,
                 chunk_size=_CHUNK_SIZE, spool_dir=None):
        self.max_parts = max_parts
        self.max_part_header_size = max_part_header_size
        self.max_field_size = max_field_size
        self.max_file_size = max_file_size
        self.max_memory_size = max_memory_size
        self.chunk_size = chunk_size
        self.spool_dir = spool_dir
        if chunk_size < 256:
            raise ValueError('Multipart: chunk_size must be at least 256 bytes')
        if app is not None:
            self.initialize(app)

    def initialize(self, app):
        app.add_extension(self.name, self)
        return self


_DEFAULTS = Multipart()


def _settings(request, options):
    """The app's Multipart (or the defaults), with per-route ``options`` on top."""
    app_settings = None
    # a sub-app's own settings first (mounted with local=True), then the app's
    for app in (getattr(request, 'subapp', None), getattr(request, 'app', None)):
        extensions = getattr(app, 'extensions', None)
        if extensions and Multipart.name in extensions:
            app_settings = extensions[Multipart.name]
            break
    base = app_settings or _DEFAULTS
    if not options:
        return base
    merged = Multipart()  # MicroPython has no object.__new__
    for name in _SETTINGS:
        setattr(merged, name, options[name] if name in options else getattr(base, name))
    return merged


# --- header parsing ---------------------------------------------------------------------------------

def _parse_params(value):
    """``'form-data; name="a"; filename="b.txt"'`` -> ``('form-data', {'name': 'a', ...})``.
    Quoted strings may hold ``;`` and backslash escapes; parameter names are lowercased."""
    params = {}
    i = value.find(';')
    if i < 0:
        return value.strip().lower(), params
    kind = value[:i].strip().lower()
    n = len(value)
    while i < n:
        i += 1  # past ';'
        eq = value.find('=', i)
        if eq < 0:
            break
        key = value[i:eq].strip().lower()
        i = eq + 1
        while i < n and value[i] in ' \t':
            i += 1
        if i < n and value[i] == '"':
            i += 1
            out = []
            while i < n and value[i] != '"':
                if value[i] == '\\' and i + 1 < n:
                    i += 1
                out.append(value[i])
                i += 1
            if i >= n:
                raise ValueError('unterminated quoted string')
            val = ''.join(out)
            i = value.find(';', i)
            if i < 0:
                i = n
        else:
            end = value.find(';', i)
            if end < 0:
                end = n
            val = value[i:end].strip()
            i = end
        if key:
            params[key] = val
    return kind, params


def _decode_ext_value(value):
    """RFC 5987 ``filename*`` value: ``UTF-8''na%C3%AFve.txt``."""
    charset, _, rest = value.partition("'")
    _, _, encoded = rest.partition("'")
    raw = bytearray()
    i = 0
    data = encoded.encode()
    while i < len(data):
        c = data[i]
        if c == 37 and i + 2 < len(data):  # '%XX'
            raw.append(int(data[i + 1:i + 3], 16))
            i += 3
        else:
            raw.append(c)
            i += 1
    return bytes(raw).decode('utf-8' if charset.lower() in ('utf-8', '') else charset)


_FORBIDDEN = '<>:"/\\|?*'


def sanitize_filename(filename, max_length=200):
    """A file name that is safe to join to a folder: no folders (``../``, ``C:\\``), no control
    or reserved characters, no leading dots, at most ``max_length`` characters (the extension
    kept). ``''`` when nothing is left."""
    name = filename.replace('\\', '/').split('/')[-1]
    out = []
    for c in name:
        if ord(c) < 32 or ord(c) == 127 or c in _FORBIDDEN:
            out.append('_')
        else:
            out.append(c)
    name = ''.join(out).strip().lstrip('.').rstrip('. ')
    if len(name) > max_length:
        stem, dot, ext = name.rpartition('.')
        if dot and 0 < len(ext) < 16:
            name = stem[:max_length - len(ext) - 1] + '.' + ext
        else:
            name = name[:max_length]
    return name


def _boundary(content_type):
    """The boundary of a multipart/form-data content type; None for another type."""
    if not content_type:
        return None
    try:
        kind, params = _parse_params(content_type)
    except ValueError:
        abort(400, 'Malformed multipart Content-Type')
    if kind != 'multipart/form-data':
        return None
    boundary = params.get('boundary')
    if not boundary or len(boundary) > 70:
        abort(400, 'Missing or invalid multipart boundary')
    return boundary.encode()


# --- the parser ------------------------------------------------------------------------------------

class FormDataIter:
    """Async iterator over the parts of a multipart/form-data request: ``(name, str)`` for a
    field, ``(name, FileUpload)`` for a file. A file must be read (``save()``, ``read()``,
    ``copy()``) before the next iteration, or it is skipped. Yields nothing for another
    content type. ``options`` override the limits (see the module's doc)."""

    def __init__(self, request, **options):
        self.request = request
        self.settings = _settings(request, options)
        self.boundary = _boundary(request.content_type)
        self.delimiter = b'\r\n--' + (self.boundary or b'')
        self.buffer = b'\r\n'  # so the first delimiter looks like every other one
        self.stream = None
        self.eof = False
        self.done = self.boundary is None
        self.in_part = False  # between a part's headers and its closing delimiter
        self.parts = 0
        self.part_limit = None
        self.part_size = 0
        self.current = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.in_part:
            await self._skip_part()
        if self.done:
            raise StopAsyncIteration
        name, filename, content_type = await self._next_part_head()
        if filename is None:
            self.part_limit = (self.settings.max_field_size, 'Form field too large')
            data = await self._read_part(-1)
            try:
                value = data.decode()
            except UnicodeError:
                abort(400, 'Form field is not valid UTF-8')
            return name, value
        self.part_limit = (self.settings.max_file_size, 'Uploaded file too large')
        self.current = FileUpload(filename, content_type, self._read_part, name=name,
                                  settings=self.settings)
        return name, self.current

    # -- reading --

    async def _fill(self):
        if self.eof:
            abort(400, 'Truncated multipart body')
        if self.stream is None:
            self.stream = self.request.stream
        data = await self.stream.read(self.settings.chunk_size)
        if not data:
            self.eof = True
            abort(400, 'Truncated multipart body')
        self.buffer = self.buffer + data if self.buffer else data

    async def _next_part_head(self):
        if self.parts == 0:
            await self._skip_part()  # the preamble, up to the first delimiter
        # after a delimiter: '--' ends the body; otherwise optional padding, then CRLF
        while len(self.buffer) < 2:
            await self._fill()
        if self.buffer[:2] == b'--':
            self.done = True
            self.buffer = b''
            raise StopAsyncIteration
        limit = self.settings.max_part_header_size
        while True:
            end = self.buffer.find(b'\r\n\r\n')
            if end >= 0:
                break
            if len(self.buffer) > limit + 2:
                abort(413, 'Multipart part headers too large')
            await self._fill()
        if end > limit + 2:
            abort(413, 'Multipart part headers too large')
        head = self.buffer[:end]
        self.buffer = self.buffer[end + 4:]
        self.parts += 1
        if self.settings.max_parts is not None and self.parts > self.settings.max_parts:
            abort(413, 'Too many multipart parts')
        first_break = head.find(b'\r\n')
        if first_break < 0 or head[:first_break].strip(b' \t'):
            abort(400, 'Malformed multipart delimiter')
        name = filename = content_type = None
        for line in head[first_break + 2:].split(b'\r\n'):
            key, sep, value = line.partition(b':')
            if not sep:
                abort(400, 'Malformed multipart part header')
            try:
                value = value.decode().strip()
            except UnicodeError:  # not UTF-8: read it as Latin-1 (works on MicroPython too)
                value = ''.join(chr(b) for b in value).strip()
            key = key.strip().lower()
            if key == b'content-disposition':
                try:
                    kind, params = _parse_params(value)
                    if 'filename*' in params:
                        params['filename'] = _decode_ext_value(params['filename*'])
                except (ValueError, UnicodeError, LookupError):
                    abort(400, 'Malformed Content-Disposition')
                if kind != 'form-data' or 'name' not in params:
                    abort(400, 'Malformed Content-Disposition')
                name = params['name']
                filename = params.get('filename')
            elif key == b'content-type':
                content_type = value
        if name is None:
            abort(400, 'Multipart part without Content-Disposition')
        self.in_part = True
        self.part_size = 0
        return name, filename, content_type

    async def _read_part(self, n=-1):
        """Up to ``n`` bytes (all when ``n < 0``) of the current part; ``b''`` at its end."""
        if not self.in_part:
            return b''
        if n < 0:
            chunks = []
            while True:
                data = await self._read_part(self.settings.chunk_size)
                if not data:
                    return b''.join(chunks)
                chunks.append(data)
        delimiter = self.delimiter
        while True:
            buffer = self.buffer
            i = buffer.find(delimiter)
            if i == 0:
                self.buffer = buffer[len(delimiter):]
                self.in_part = False
                self.current = None
                return b''
            if i > 0:
                take = min(i, n)
            else:
                take = min(len(buffer) - len(delimiter) + 1, n)
            if take > 0:
                if take == len(buffer):
                    data, self.buffer = buffer, b''  # no copy
                else:
                    data = buffer[:take]
                    self.buffer = buffer[take:]
                self._count(take)
                return data
            await self._fill()

    def _count(self, n):
        self.part_size += n
        limit = self.part_limit
        if limit is not None and limit[0] is not None and self.part_size > limit[0]:
            abort(413, limit[1])

    async def _skip_part(self):
        limit, self.part_limit = self.part_limit, None
        self.in_part = True
        while await self._read_part(self.settings.chunk_size):
            pass
        self.part_limit = limit


# --- uploaded files --------------------------------------------------------------------------------

def _temp_dir(settings):
    if settings.spool_dir:
        return settings.spool_dir
    try:
        import tempfile
        return tempfile.gettempdir()
    except ImportError:  # MicroPython
        return '.'


def _open_temp(folder):
    """A new temporary file with a random name: ``(path, file)``."""
    for _ in range(5):
        path = folder.rstrip('/') + '/microdot-upload-' + \
            ''.join('{:02x}'.format(b) for b in os.urandom(8))
        try:
            return path, open(path, 'x+b')
        except OSError as exc:
            if exc.args and exc.args[0] == 17:  # EEXIST: draw another name
                continue
        except ValueError:
            pass
        # no 'x' mode (MicroPython says ENOENT or ValueError): 64 random bits make a clash
        # with an existing file unlikely enough
        return path, open(path, 'w+b')
    raise OSError('could not create a temporary file in ' + folder)


class FileUpload:
    """An uploaded file. ``filename`` is sanitised (``sanitize_filename``; ``raw_filename`` is
    what the client sent), ``content_type`` is the part's (or None), ``name`` the form field."""

    max_memory_size = None  # Microdot 2.x class setting; the Multipart settings win when set

    def __init__(self, filename, content_type, read, name=None, settings=None):
        self.raw_filename = filename
        self.filename = sanitize_filename(filename)
        self.content_type = content_type
        self.name = name
        self.size = 0  # bytes read so far (the whole file after copy() or save())
        self._read = read
        self._settings = settings or _DEFAULTS
        self._memory = None
        self._file = None
        self._path = None

    async def read(self, n=-1):
        """Up to ``n`` bytes (all when ``n < 0``); ``b''`` at the end."""
        if self._file is not None:
            return self._file.read() if n < 0 else self._file.read(n)
        if self._memory is not None:
            if n < 0:
                data, self._memory = self._memory, b''
            else:
                data, self._memory = self._memory[:n], self._memory[n:]
            return data
        data = await self._read(n)
        self.size += len(data)
        return data

    async def save(self, path_or_file):
        """Write the (rest of the) file to a path or a binary file object, chunk by chunk.
        Returns the number of bytes written."""
        chunk = self._settings.chunk_size
        out = open(path_or_file, 'wb') if isinstance(path_or_file, str) else path_or_file
        written = 0
        try:
            while True:
                data = await self.read(chunk)
                if not data:
                    break
                out.write(data)
                written += len(data)
        finally:
            if out is not path_or_file:
                out.close()
        return written

    async def copy(self, max_memory_size=None):
        """Read the whole file now: kept in memory up to ``max_memory_size`` bytes, spooled
        to a temporary file beyond that (deleted by ``close()``). Returns self."""
        if max_memory_size is None:
            max_memory_size = self.max_memory_size
        if max_memory_size is None:
            max_memory_size = self._settings.max_memory_size
        chunk = self._settings.chunk_size
        held = []
        held_size = 0
        while True:
            data = await self.read(chunk)
            if not data:
                break
            if self._path is None and held_size + len(data) <= max_memory_size:
                held.append(data)
                held_size += len(data)
                continue
            if self._path is None:
                self._path, self._spool = _open_temp(_temp_dir(self._settings))
                for piece in held:
                    self._spool.write(piece)
                held = []
            self._spool.write(data)
        if self._path is None:
            self._memory = b''.join(held)
        else:
            self._spool.seek(0)
            self._file = self._spool
        self._read = _nothing
        return self

    async def close(self):
        """Forget the file (and delete its temporary file)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            try:
                os.remove(self._path)
            except OSError:
                pass
            self._path = None
        self._memory = None
        self._read = _nothing


async def _nothing(n=-1):
    return b''


# --- the decorator ---------------------------------------------------------------------------------

def with_form_data(f=None, **options):
    """Decorator: read a multipart/form-data body before the route runs. ``request.form`` is a
    ``MultiDict`` of the fields, ``request.files`` a ``MultiDict`` of ``FileUpload`` (each read
    with ``copy()``, closed after the route). Other requests are left alone. Use as
    ``@with_form_data`` or ``@with_form_data(max_file_size=...)``."""
    if f is None:
        def decorator(g):
            return with_form_data(g, **options)
        return decorator

    @wraps(f)
    async def wrapper(request, *args, **kwargs):
        form = MultiDict()
        files = MultiDict()
        opened = []
        found = False
        try:
            async for name, value in FormDataIter(request, **options):
                found = True
                if isinstance(value, FileUpload):
                    opened.append(value)
                    await value.copy()
                    files[name] = value
                else:
                    form[name] = value
            if found:
                request.form = form
                request.files = files
            return await invoke_handler(f, request, *args, **kwargs)
        finally:
            for upload in opened:
                await upload.close()

    return wrapper
