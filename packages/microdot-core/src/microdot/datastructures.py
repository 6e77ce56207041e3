"""Data structures and encodings: case-insensitive and multi-value dicts, an in-memory async
stream, URL encoding."""
import io


def urlencode(s):
    """Percent-encode a query-string component (space becomes ``+``)."""
    out = []
    for c in s.encode():
        if 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c in b'-._~/!$\'()*,;:@':
            out.append(chr(c))
        elif c == 32:
            out.append('+')
        else:
            out.append('%{:02X}'.format(c))
    return ''.join(out)


try:
    b'\xc0\xaf'.decode()
    _LAX_UTF8 = True  # MicroPython: overlong forms, surrogates and > U+10FFFF decode
except UnicodeError:
    _LAX_UTF8 = False


def decode_utf8(data):
    """``data.decode()``, refusing (UnicodeError) on every runtime what CPython refuses."""
    text = data.decode()
    if _LAX_UTF8 and len(text) != len(data):
        prev = 0
        for c in data:
            # C0, C1, F5-FF never appear; after E0, ED, F0, F4 (lead bytes only) the next
            # byte's range excludes overlong forms, surrogates and code points past U+10FFFF
            if (c in (0xc0, 0xc1) or c >= 0xf5 or (prev == 0xe0 and c < 0xa0)
                    or (prev == 0xed and c >= 0xa0) or (prev == 0xf0 and c < 0x90)
                    or (prev == 0xf4 and c >= 0x90)):
                raise UnicodeError('invalid UTF-8')
            prev = c
    return text


def urldecode(s):
    """Decode a percent-encoded str or bytes (``+`` is a space). Invalid UTF-8 or hex raises ValueError."""
    if isinstance(s, str):
        s = s.encode()
    s = s.replace(b'+', b' ')
    if b'%' not in s:
        return decode_utf8(s)
    parts = s.split(b'%')
    out = [parts[0]]
    for part in parts[1:]:
        if len(part) < 2:
            out.append(b'%' + part)  # a lone '%' stays literal
            continue
        for c in part[:2]:
            if not (48 <= c <= 57 or 65 <= c <= 70 or 97 <= c <= 102):
                raise ValueError('invalid percent-encoding')
        out.append(bytes([int(part[:2], 16)]))
        out.append(part[2:])
    try:
        return decode_utf8(b''.join(out))
    except UnicodeError:
        raise ValueError('invalid UTF-8 in percent-encoded text')


class NoCaseDict(dict):
    """A dict with case-insensitive str keys; the first spelling of a key is kept."""

    def __init__(self, initial_dict=None):
        super().__init__()
        self.keymap = {}
        if initial_dict:
            self.update(initial_dict)

    def __setitem__(self, key, value):
        lkey = key.lower()
        stored = self.keymap.get(lkey)
        if stored is None:
            self.keymap[lkey] = stored = key
        super().__setitem__(stored, value)

    def set_lowered(self, key, lower_key, value):
        """``self[key] = value`` for a caller that has ``key.lower()`` already (the parser)."""
        stored = self.keymap.get(lower_key)
        if stored is None:
            self.keymap[lower_key] = stored = key
        super().__setitem__(stored, value)

    def __getitem__(self, key):
        return super().__getitem__(self.keymap.get(key.lower(), key))

    def __delitem__(self, key):
        lkey = key.lower()
        super().__delitem__(self.keymap.get(lkey, key))
        self.keymap.pop(lkey, None)

    def __contains__(self, key):
        return key.lower() in self.keymap

    def get(self, key, default=None):
        stored = self.keymap.get(key.lower())
        return default if stored is None else super().__getitem__(stored)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key, *default):
        stored = self.keymap.pop(key.lower(), None)
        if stored is None:
            if default:
                return default[0]
            raise KeyError(key)
        return super().pop(stored)

    def update(self, other_dict=(), **kwargs):
        items = other_dict.items() if hasattr(other_dict, 'items') else other_dict
        for key, value in items:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value


class MultiDict(dict):
    """A dict that keeps every value given to a key; ``d[key]`` is the first one."""

    def __init__(self, initial_dict=None):
        super().__init__()
        if initial_dict:
            for key, value in initial_dict.items():
                self[key] = value

    def __setitem__(self, key, value):
        if key not in self:
            super().__setitem__(key, [])
        super().__getitem__(key).append(value)

    def __getitem__(self, key):
        return super().__getitem__(key)[0]

    def get(self, key, default=None, type=None):
        if key not in self:
            return default
        value = self[key]
        return type(value) if type is not None else value

    def getlist(self, key, type=None):
        if key not in self:
            return []
        values = super().__getitem__(key)
        return [type(v) for v in values] if type is not None else list(values)


class AsyncBytesIO:
    """An async stream over bytes held in memory."""

    def __init__(self, data):
        self.stream = io.BytesIO(data)

    async def read(self, n=-1):
        return self.stream.read(n)

    async def readline(self):
        return self.stream.readline()

    async def readexactly(self, n):
        return self.stream.read(n)

    async def readuntil(self, separator=b'\n'):
        data = b''
        while not data.endswith(separator):
            c = self.stream.read(1)
            if not c:
                break
            data += c
        return data

    async def awrite(self, data):
        return self.stream.write(data)

    async def aclose(self):
        pass
