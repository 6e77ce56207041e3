import pytest

from microdot.microdot import (AsyncBytesIO, MultiDict, NoCaseDict, invoke_handler, mro,
                               urldecode, urlencode)


def test_urldecode():
    assert urldecode('a+b%20c') == 'a b c'
    assert urldecode(b'%e2%80%a2') == '\u2022'
    assert urldecode('100%') == '100%'
    assert urldecode('plain') == 'plain'
    with pytest.raises(ValueError):
        urldecode('%zz')
    with pytest.raises(ValueError):
        urldecode('%ff')  # not UTF-8


def test_urlencode_round_trips():
    for text in ['a b', 'a+b', '100%', 'x?y#z&w=v', 'caf\u00e9', '/path/ok']:
        assert urldecode(urlencode(text)) == text
    assert urlencode('a+b c') == 'a%2Bb+c'  # '+' is encoded once (2.x double-encoded it)


def test_nocasedict():
    d = NoCaseDict({'Content-Type': 'text/plain'})
    d['content-type'] = 'text/html'
    assert list(d.keys()) == ['Content-Type']  # the first spelling is kept
    assert d['CONTENT-TYPE'] == 'text/html'
    assert 'content-TYPE' in d and 'x' not in d
    assert d.get('x', 1) == 1 and d.get('Content-type') == 'text/html'
    d.update({'X-One': '1'}, x_two='2')
    assert d['x-one'] == '1' and d['X_TWO'] == '2'
    del d['x-one']
    assert 'X-One' not in d
    assert d.pop('X_two') == '2' and d.pop('nope', 5) == 5
    with pytest.raises(KeyError):
        d.pop('nope')
    assert d.setdefault('A', 'b') == 'b' and d['a'] == 'b'


def test_multidict():
    d = MultiDict({'a': '1'})
    d['a'] = '2'
    d['b'] = '3'
    assert d['a'] == '1'
    assert d.getlist('a') == ['1', '2'] and d.getlist('zz') == []
    assert d.get('b', type=int) == 3 and d.get('c', 'x') == 'x'
    assert d.getlist('a', type=int) == [1, 2]
    assert d == {'a': ['1', '2'], 'b': ['3']}


async def test_async_bytes_io():
    s = AsyncBytesIO(b'line1\nline2\nrest')
    assert await s.readline() == b'line1\n'
    assert await s.readuntil(b'2') == b'line2'
    assert await s.readexactly(2) == b'\nr'
    assert await s.read() == b'est'


async def test_invoke_handler_sync_async_and_async_callables():
    import functools
    import threading

    def sync(x):
        return threading.current_thread() is threading.main_thread(), x

    async def coro(x):
        return x * 2

    class AsyncCallable:
        async def __call__(self, x):
            return x + 1

    on_main, value = await invoke_handler(sync, 1)
    assert value == 1 and not on_main  # sync handlers run in the executor
    assert await invoke_handler(coro, 2) == 4
    assert await invoke_handler(functools.partial(coro, 3)) == 6
    assert await invoke_handler(AsyncCallable(), 1) == 2


def test_mro():
    class A(Exception):
        pass

    class B(A):
        pass
    assert list(mro(B))[:3] == [B, A, Exception]


def test_urldecode_refuses_non_hex_escapes():
    for bad in ('%+1', '% 1', '%-1', '%1g'):
        with pytest.raises(ValueError):
            urldecode(bad)
