from typing import Any, Optional

from .microdot import Microdot

__all__ = ['LiveServer']

class LiveServer:
    app: Microdot
    host: str
    port: int
    ssl: Any
    start_timeout: float
    loop: Any
    def __init__(self, app: Microdot, host: str = '127.0.0.1', port: int = 0, ssl: Any = None,
                 start_timeout: float = 10) -> None: ...
    @property
    def url(self) -> str: ...
    def start(self) -> None: ...
    def stop(self, timeout: float = 15) -> None: ...
    def __enter__(self) -> LiveServer: ...
    def __exit__(self, *exc: Any) -> None: ...
