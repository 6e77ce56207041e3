from typing import Any, Callable, ClassVar, Iterable, List, Optional, Tuple, TypeVar

from microdot import Microdot, Request

__version__: str
MICRODOT_EXTENSION_API: int

_F = TypeVar('_F', bound=Callable[..., Any])


class CSRF:
    name: ClassVar[str]
    SAFE_METHODS: ClassVar[List[str]]
    cors: Any
    protect_all: bool
    allow_subdomains: bool
    trusted_origins: List[Tuple[str, str, str]]
    exempt_routes: List[Callable[..., Any]]
    protected_routes: List[Callable[..., Any]]

    def __init__(self, app: Optional[Microdot] = ..., cors: Any = ..., protect_all: bool = ...,
                 allow_subdomains: bool = ...,
                 trusted_origins: Optional[Iterable[str]] = ...) -> None: ...
    def initialize(self, app: Microdot, cors: Any = ...) -> None: ...
    def exempt(self, f: _F) -> _F: ...
    def protect(self, f: _F) -> _F: ...
    def needs_check(self, request: Request) -> bool: ...
    def is_allowed(self, request: Request) -> bool: ...
    def origin_trusted(self, request: Request, origin: str) -> bool: ...
    def before_request(self, request: Request) -> None: ...
