from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, MutableMapping, Optional, Tuple, Union

from microdot import AsyncBytesIO as AsyncBytesIO
from microdot import Request as Request
from microdot import Response as Response
from microdot import URLPattern as URLPattern
from microdot import abort as abort
from microdot import iscoroutine as iscoroutine
from microdot import redirect as redirect
from microdot import send_file as send_file
from microdot.microdot import Microdot as BaseMicrodot, NoCaseDict
from microdot._server_common import BodyStream

__version__: str
MICRODOT_EXTENSION_API: int

_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_LifespanCallback = Callable[[_Scope], Any]

def __getattr__(name: str) -> Any: ...

class ASGIBodyStream(BodyStream):
    def __init__(self, receive: _Receive, limit: Optional[int], prefix: bytes = ...,
                 more_body: bool = ..., max_line: int = ...) -> None: ...

class ASGIWebSocketChannel:
    connected: bool
    accepted: bool
    closed: bool
    close_code: Optional[int]
    close_reason: str
    def __init__(self, receive: _Receive, send: _Send) -> None: ...
    async def accept(self, subprotocol: Optional[str] = ...,
                     headers: Optional[Union[Mapping[str, str], Iterable[Tuple[str, str]]]] = ...) -> None: ...
    async def receive(self) -> Optional[Union[str, bytes]]: ...
    async def send(self, data: Union[str, bytes]) -> None: ...
    async def close(self, code: int = ..., reason: str = ...) -> None: ...

class ASGI:
    app: Optional[BaseMicrodot]
    lifespan_startup: Optional[_LifespanCallback]
    lifespan_shutdown: Optional[_LifespanCallback]
    def __init__(self, app: Optional[BaseMicrodot] = ...,
                 lifespan_startup: Optional[_LifespanCallback] = ...,
                 lifespan_shutdown: Optional[_LifespanCallback] = ...) -> None: ...
    def initialize(self, app: BaseMicrodot) -> None: ...
    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None: ...
    async def handle_lifespan(self, scope: _Scope, receive: _Receive, send: _Send) -> None: ...
    def make_request(self, scope: _Scope, receive: _Receive, send: _Send, method: str,
                     body: bytes = ..., stream: Any = ...,
                     headers: Optional[NoCaseDict] = ...) -> Request: ...
    async def handle_http(self, scope: _Scope, receive: _Receive, send: _Send) -> None: ...
    async def send_response(self, res: Response, receive: _Receive, send: _Send) -> None: ...
    async def handle_websocket(self, scope: _Scope, receive: _Receive, send: _Send) -> None: ...

class Microdot(BaseMicrodot):
    embedded_server: bool
    lifespan_startup: Optional[_LifespanCallback]
    lifespan_shutdown: Optional[_LifespanCallback]
    def __init__(self, lifespan_startup: Optional[_LifespanCallback] = ...,
                 lifespan_shutdown: Optional[_LifespanCallback] = ...) -> None: ...
    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None: ...
    async def asgi_app(self, scope: _Scope, receive: _Receive, send: _Send) -> None: ...
    def run(self, host: str = ..., port: int = ..., debug: bool = ..., ssl: Any = ...,
            **options: Any) -> None: ...
    def shutdown(self) -> None: ...
