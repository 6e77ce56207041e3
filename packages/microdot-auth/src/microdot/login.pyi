from typing import Any, Awaitable, Callable, ClassVar, Optional, TypeVar, Union

from microdot import Microdot, Request, Response

__version__: str
MICRODOT_EXTENSION_API: int
DEFAULT_REMEMBER_DAYS: int

_F = TypeVar('_F', bound=Callable[..., Any])


def safe_next_url(url: Optional[str], default: str = ...) -> str: ...


class Login:
    name: ClassVar[str]
    login_url: str
    remember_days: Union[int, float]
    cookie_name: str
    user_loader_callback: Optional[Callable[..., Any]]

    def __init__(self, app: Union[Microdot, str, None] = ..., login_url: str = ...,
                 remember_days: Union[int, float] = ..., cookie_name: str = ...) -> None: ...
    def initialize(self, app: Microdot) -> Login: ...
    def user_loader(self, f: _F) -> _F: ...
    async def login_user(self, request: Request, user: Any,
                         remember: Union[bool, int, float] = ...,
                         redirect_url: str = ...) -> Response: ...
    async def logout_user(self, request: Request) -> None: ...
    async def get_current_user(self, request: Request) -> Any: ...
    def __call__(self, f: Callable[..., Any]) -> Callable[..., Awaitable[Any]]: ...
    def fresh(self, f: Callable[..., Any]) -> Callable[..., Awaitable[Any]]: ...
