"""microdot: the impossibly small web framework for Python and MicroPython."""
try:
    # plugins ship their modules in other distributions' microdot/ folders: make them one package
    from pkgutil import extend_path
    __path__ = extend_path(__path__, __name__)
except (ImportError, AttributeError):  # MicroPython: every module lives in one folder
    pass

from microdot import runtime as _runtime  # noqa: E402

_runtime.preload(('datastructures', 'http11', 'request', 'response', 'routing'))
from microdot.microdot import (  # noqa: E402,F401
    AsyncBytesIO, HTTPException, Microdot, Request, Response, URLPattern, abort, iscoroutine,
    redirect, send_file, send_from_directory)

__version__ = '0.1.0'
