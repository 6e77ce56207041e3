from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Union

from microdot import Microdot, Request

_Key = Union[str, bytes]

__version__: str
MICRODOT_EXTENSION_API: int
ALGORITHM: str
MIN_KEY_LENGTH: int
MAX_TOKEN_LENGTH: int
COOKIE_OPTIONS: tuple[str, ...]

class SessionTooLargeError(ValueError): ...

def hs256_encode(payload: Dict[str, Any], key: bytes) -> str: ...
def hs256_decode(token: Union[str, bytes], keys: Sequence[bytes],
                 now: Optional[float] = ...) -> Dict[str, Any]: ...

class SessionDict(Dict[str, Any]):
    request: Request
    extension: Optional[Session]
    def __init__(self, request: Request, session_dict: Dict[str, Any],
                 extension: Optional[Session] = ...) -> None: ...
    def save(self) -> None: ...
    def delete(self) -> None: ...

class Session:
    name: str
    secret_key: Union[_Key, Sequence[_Key], None]
    cookie_name: str
    cookie_options: Dict[str, Any]
    lifetime: Optional[float]
    max_cookie_size: int
    def __init__(self, app: Optional[Microdot] = ...,
                 secret_key: Union[_Key, Sequence[_Key], None] = ...,
                 cookie_options: Optional[Dict[str, Any]] = ..., lifetime: Optional[float] = ...,
                 max_cookie_size: int = ..., cookie_name: Optional[str] = ...) -> None: ...
    def initialize(self, app: Microdot, secret_key: Union[_Key, Sequence[_Key], None] = ...,
                   cookie_options: Optional[Dict[str, Any]] = ...,
                   lifetime: Optional[float] = ..., cookie_name: Optional[str] = ...) -> None: ...
    def encode(self, payload: Dict[str, Any],
               secret_key: Union[_Key, Sequence[_Key], None] = ...) -> str: ...
    def decode(self, session: Union[str, bytes],
               secret_key: Union[_Key, Sequence[_Key], None] = ...) -> Dict[str, Any]: ...
    def get(self, request: Request) -> SessionDict: ...
    def update(self, request: Request, session: Dict[str, Any]) -> None: ...
    def delete(self, request: Request) -> None: ...

def with_session(f: Callable[..., Any]) -> Callable[..., Awaitable[Any]]: ...
