import asyncio
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, TypeVar, Union, overload

from microdot import Request

__version__: str
MICRODOT_EXTENSION_API: int
__all__ = ['SSE', 'SSEExtension', 'sse_response', 'with_sse', 'encode_event']

DEFAULT_HEARTBEAT: float
DEFAULT_MAX_BUFFER: int
HEARTBEAT: bytes
HEADERS: Dict[str, str]

_Data = Union[str, bytes, bytearray, memoryview, Dict[Any, Any], List[Any], Any]
_Handler = Callable[..., Awaitable[Any]]
_F = TypeVar('_F', bound=_Handler)

def encode_event(data: _Data, event: Optional[str] = ..., event_id: Optional[Union[str, int]] = ...,
                 retry: Optional[float] = ..., comment: bool = ...) -> bytes: ...

class SSEExtension:
    name: str
    heartbeat: Optional[float]
    max_buffer: int
    def __init__(self, app: Any = ..., heartbeat: Optional[float] = ...,
                 max_buffer: int = ...) -> None: ...
    def initialize(self, app: Any) -> SSEExtension: ...

class SSE:
    event: asyncio.Event
    queue: List[bytes]
    queued: int
    max_buffer: int
    last_event_id: Optional[str]
    closed: bool
    def __init__(self, last_event_id: Optional[str] = ..., max_buffer: int = ...) -> None: ...
    async def send(self, data: _Data, event: Optional[str] = ...,
                   event_id: Optional[Union[str, int]] = ..., retry: Optional[float] = ...,
                   comment: bool = ...) -> None: ...

class SSEStream:
    sse: SSE
    handler: _Handler
    args: Tuple[Any, ...]
    kwargs: Dict[str, Any]
    heartbeat: Optional[float]
    task: Optional[asyncio.Task[None]]
    done: bool
    def __init__(self, sse: SSE, handler: _Handler, args: Tuple[Any, ...], kwargs: Dict[str, Any],
                 heartbeat: Optional[float]) -> None: ...
    def __aiter__(self) -> SSEStream: ...
    async def __anext__(self) -> bytes: ...
    async def aclose(self) -> None: ...

def sse_response(request: Request, event_function: _Handler, *args: Any,
                 **kwargs: Any) -> Tuple[SSEStream, int, Dict[str, str]]: ...

@overload
def with_sse(f: _Handler) -> Callable[..., Awaitable[Tuple[SSEStream, int, Dict[str, str]]]]: ...
@overload
def with_sse(f: None = ..., heartbeat: Optional[float] = ..., max_buffer: int = ...
             ) -> Callable[[_Handler], Callable[..., Awaitable[Tuple[SSEStream, int, Dict[str, str]]]]]: ...
