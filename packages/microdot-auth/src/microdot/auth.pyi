from typing import Any, Awaitable, Callable, Optional, Tuple, TypeVar, Union

from microdot import Request

__version__: str
MICRODOT_EXTENSION_API: int
DEFAULT_ITERATIONS: int

_F = TypeVar('_F', bound=Callable[..., Any])


def compare_digest(a: Union[str, bytes], b: Union[str, bytes]) -> bool: ...
def pbkdf2_sha256(password: bytes, salt: bytes, iterations: int, length: int = ...) -> bytes: ...
def hash_password(password: Union[str, bytes], iterations: Optional[int] = ...,
                  salt: Optional[bytes] = ...) -> str: ...
def check_password(password: Union[str, bytes], hashed: Any) -> bool: ...


class BaseAuth:
    auth_callback: Optional[Callable[..., Any]]
    error_callback: Optional[Callable[..., Any]]

    def __init__(self) -> None: ...
    def authenticate(self, f: _F) -> _F: ...
    def errorhandler(self, f: _F) -> _F: ...
    def get_credentials(self, request: Request) -> Optional[Tuple[str, ...]]: ...
    async def authentication_error(self, request: Request) -> Any: ...
    def __call__(self, f: Callable[..., Any]) -> Callable[..., Awaitable[Any]]: ...
    def optional(self, f: Callable[..., Any]) -> Callable[..., Awaitable[Any]]: ...


class BasicAuth(BaseAuth):
    realm: str
    charset: str
    scheme: str
    error_status: int

    def __init__(self, realm: str = ..., charset: str = ..., scheme: str = ...,
                 error_status: int = ...) -> None: ...


class TokenAuth(BaseAuth):
    header: str
    scheme: str
    error_status: int

    def __init__(self, header: str = ..., scheme: str = ..., error_status: int = ...) -> None: ...
