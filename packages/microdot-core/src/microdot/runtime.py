"""What differs between CPython and MicroPython, in one place: feature detection, calling sync
and async handlers, printing exceptions, JSON."""
import asyncio
import io
import sys

try:
    import orjson as json  # noqa: F401
except ImportError:
    import json  # noqa: F401

try:
    from inspect import iscoroutinefunction, iscoroutine
except ImportError:  # MicroPython
    iscoroutinefunction = None

    def iscoroutine(coro):
        return hasattr(coro, 'send') and hasattr(coro, 'throw')

try:
    from functools import partial as _partial
except ImportError:  # MicroPython
    _partial = None

MICROPYTHON = sys.implementation.name == 'micropython'


def preload(names):
    """Import ``microdot.<name>`` for each name in turn. On MicroPython, which compiles ``.py``
    sources on the device, collect after each: without it, what one compile leaves behind can keep
    a small heap (128 KB) from finding one contiguous block for the next, at some heap sizes and
    not others (docs/micropython.md)."""
    if MICROPYTHON:
        import gc
        for name in names:
            __import__('microdot.' + name)
            gc.collect()

MUTED_SOCKET_ERRORS = [
    32,  # EPIPE
    54,  # ECONNRESET (macOS)
    104,  # ECONNRESET (Linux)
    128,  # operation on closed socket (MicroPython)
]


def print_exception(exc, file=None):
    """Print an exception with its traceback to stderr (or ``file``)."""
    if hasattr(sys, 'print_exception'):  # MicroPython
        sys.print_exception(exc, file or sys.stderr)
    else:
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=file or sys.stderr)


def format_exception(exc):
    """The traceback of ``exc`` as a string."""
    out = io.StringIO()
    print_exception(exc, out)
    return out.getvalue()


def log(message):
    """One line on the server's log (stderr)."""
    sys.stderr.write('microdot: ' + message + '\n')


def mro(cls):
    """The classes an exception class inherits from, most specific first."""
    if hasattr(cls, '__mro__'):
        return cls.__mro__
    order = [cls]  # MicroPython: depth-first walk, keeping the last occurrence of a repeat
    for base in cls.__bases__:
        for c in mro(base):
            if c in order:
                order.remove(c)
            order.append(c)
    return order


if MICROPYTHON:
    def _generator_function():
        yield

    # async def and generator functions share one type there, plain functions have another
    _GENERATOR_FUNCTION = type(_generator_function)
    _FUNCTION = type(mro)


def _is_async_callable(f):
    """True, False, or None when it cannot be told before calling (MicroPython bound methods)."""
    if iscoroutinefunction is None:  # MicroPython
        if isinstance(f, _GENERATOR_FUNCTION):
            return True
        if isinstance(f, _FUNCTION):
            return False  # a plain def: what it returns (even a generator) is the result
        return None
    while _partial is not None and isinstance(f, _partial):
        f = f.func
    return iscoroutinefunction(f) or iscoroutinefunction(getattr(f, '__call__', None))


_async_handlers = {}  # handler -> whether it is async (bounded: per-request closures come and go)


async def invoke_handler(handler, *args, **kwargs):
    """Call a sync or async handler. On CPython sync handlers run in the default thread executor so
    that they cannot block the event loop; on MicroPython they run inline."""
    try:
        is_async = _async_handlers[handler]
    except (KeyError, TypeError):
        is_async = _is_async_callable(handler)
        # worth caching where the check is costly (inspect on CPython); never on MicroPython,
        # where each entry costs heap and per-request closures would pile up
        if not MICROPYTHON and len(_async_handlers) < 512:
            try:
                _async_handlers[handler] = is_async
            except TypeError:
                pass  # unhashable callable
    if is_async is False:
        if MICROPYTHON:
            return handler(*args, **kwargs)
        if kwargs:
            ret = await asyncio.get_running_loop().run_in_executor(
                None, lambda: handler(*args, **kwargs))
        else:
            ret = await asyncio.get_running_loop().run_in_executor(None, handler, *args)
    else:
        ret = handler(*args, **kwargs)
    if iscoroutine(ret):
        ret = await ret
    return ret


def is_awaitable(obj):
    """Whether ``obj`` must be awaited (coroutines, async generators' ``aclose()``, futures)."""
    return iscoroutine(obj) or hasattr(obj, '__await__')
