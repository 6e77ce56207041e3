from typing import Any, Awaitable, Callable, Iterable, Optional, Sequence, Tuple, Union, overload

from microdot import HTTPException, Request, Response

__version__: str
__all__ = ['WebSocket', 'WebSocketError', 'ConnectionClosed', 'WebSocketExtension',
           'websocket_upgrade', 'websocket_wrapper', 'with_websocket']
MICRODOT_EXTENSION_API: int
DEFAULT_MAX_MESSAGE_LENGTH: int
DEFAULT_CLOSE_TIMEOUT: int
DEFAULT_PING_INTERVAL: Optional[float]
DEFAULT_PING_TIMEOUT: float

CONT: int
TEXT: int
BINARY: int
CLOSE: int
PING: int
PONG: int

NORMAL_CLOSURE: int
GOING_AWAY: int
PROTOCOL_ERROR: int
NO_STATUS_RECEIVED: int
ABNORMAL_CLOSURE: int
INVALID_PAYLOAD: int
POLICY_VIOLATION: int
MESSAGE_TOO_BIG: int
INTERNAL_ERROR: int

_Message = Union[str, bytes]
_Origins = Union[Iterable[Optional[str]], None, int]  # -1: the app setting

class WebSocketError(Exception): ...

class ConnectionClosed(WebSocketError):
    code: int
    reason: str
    def __init__(self, code: int, reason: str = ...) -> None: ...

class ProtocolError(WebSocketError):
    code: int
    reason: str
    def __init__(self, code: int, reason: str) -> None: ...

class HandshakeRefused(HTTPException):
    headers: dict
    def __init__(self, status_code: int, reason: str, headers: Optional[dict] = ...) -> None: ...
    def response(self) -> Response: ...

def frame_head(opcode: int, length: int, fin: bool = ..., mask: Optional[bytes] = ...) -> bytes: ...
def encode_frame(opcode: int, payload: Union[bytes, bytearray, str], fin: bool = ...,
                 mask: Optional[bytes] = ...) -> bytes: ...
def encode_close_payload(code: Optional[int] = ..., reason: str = ...) -> bytes: ...
def decode_close_payload(payload: bytes) -> Tuple[int, str]: ...
def decode_text(data: Union[bytes, bytearray]) -> str: ...
def accept_key(key: Union[str, bytes]) -> str: ...

class FrameParser:
    max_message_length: int
    require_mask: bool
    closing: bool
    def __init__(self, max_message_length: Optional[int] = ..., require_mask: bool = ...) -> None: ...
    def feed(self, data: bytes) -> None: ...
    def next_frame(self) -> Optional[Tuple[int, Union[str, bytes, bytearray]]]: ...
    def needed(self) -> int: ...
    def buffered(self) -> int: ...
    def start_closing(self) -> None: ...

def check_handshake(request: Request, subprotocols: Optional[Sequence[str]] = ...,
                    allowed_origins: Optional[Iterable[Optional[str]]] = ...,
                    framed_by_server: bool = ...) -> Optional[str]: ...

class WebSocketExtension:
    name: str
    max_message_length: Optional[int]
    close_timeout: Optional[float]
    allowed_origins: Optional[Iterable[Optional[str]]]
    ping_interval: Optional[float]
    ping_timeout: Optional[float]
    def __init__(self, app: Any = ..., max_message_length: Optional[int] = ...,
                 close_timeout: Optional[float] = ...,
                 allowed_origins: Optional[Iterable[Optional[str]]] = ...,
                 ping_interval: Optional[float] = ...,
                 ping_timeout: Optional[float] = ...) -> None: ...
    def initialize(self, app: Any) -> WebSocketExtension: ...

class WebSocket:
    CONT: int
    TEXT: int
    BINARY: int
    CLOSE: int
    PING: int
    PONG: int
    max_message_length: Optional[int]
    read_size: int
    request: Request
    close_timeout: Optional[float]
    allowed_origins: Optional[Iterable[Optional[str]]]
    subprotocols: Optional[Sequence[str]]
    subprotocol: Optional[str]
    origin: Optional[str]
    close_code: Optional[int]
    close_reason: str
    ping_interval: Optional[float]
    ping_timeout: Optional[float]
    OPTIONS: Tuple[str, ...]
    def __init__(self, request: Request, max_message_length: Optional[int] = ...,
                 subprotocols: Optional[Sequence[str]] = ...,
                 allowed_origins: _Origins = ...,
                 close_timeout: Optional[float] = ..., ping_interval: Optional[float] = ...,
                 ping_timeout: Optional[float] = ...) -> None: ...
    @classmethod
    def check_options(cls, options: dict) -> None: ...
    @property
    def closed(self) -> bool: ...
    async def handshake(self) -> None: ...
    async def receive(self) -> _Message: ...
    async def send(self, data: Union[str, bytes, bytearray, memoryview],
                   opcode: Optional[int] = ...) -> None: ...
    async def ping(self, data: Union[bytes, str] = ...) -> None: ...
    async def pong(self, data: Union[bytes, str] = ...) -> None: ...
    async def close(self, code: Optional[int] = ..., reason: str = ...) -> None: ...
    def __aiter__(self) -> WebSocket: ...
    async def __anext__(self) -> _Message: ...

_Handler = Callable[..., Awaitable[Any]]

async def websocket_upgrade(request: Request, *, subprotocols: Optional[Sequence[str]] = ...,
                            max_message_length: Optional[int] = ...,
                            allowed_origins: Optional[Iterable[Optional[str]]] = ...,
                            close_timeout: Optional[float] = ...,
                            ping_interval: Optional[float] = ...,
                            ping_timeout: Optional[float] = ...) -> WebSocket: ...
def websocket_wrapper(f: _Handler,
                      upgrade_function: Callable[[Request], Awaitable[WebSocket]]) -> _Handler: ...
@overload
def with_websocket(f: _Handler) -> _Handler: ...
@overload
def with_websocket(f: None = ..., *, subprotocols: Optional[Sequence[str]] = ...,
                   max_message_length: Optional[int] = ...,
                   allowed_origins: Optional[Iterable[Optional[str]]] = ...,
                   close_timeout: Optional[float] = ..., ping_interval: Optional[float] = ...,
                   ping_timeout: Optional[float] = ...) -> Callable[[_Handler], _Handler]: ...
