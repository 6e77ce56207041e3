from typing import Any, Callable, Optional, Union

from .datastructures import MultiDict, NoCaseDict

class Request:
    max_content_length: int
    max_body_length: int
    max_readline: int

    class G: ...

    app: Any
    client_addr: Any
    method: str
    url: str
    http_version: str
    headers: NoCaseDict
    scheme: str
    url_prefix: str
    subapp: Any
    route: Any
    url_args: Optional[dict[str, Any]]
    sock: Any
    ws_channel: Any
    body_used: bool
    after_request_handlers: list[Callable[..., Any]]
    g: Request.G
    path: str
    query_string: Optional[str]
    args: MultiDict
    content_length: int
    content_type: Optional[str]
    def __init__(self, app: Any, client_addr: Any, method: str, url: str, http_version: str,
                 headers: NoCaseDict, body: Optional[bytes] = None, stream: Any = None,
                 sock: Any = None, url_prefix: str = '', subapp: Any = None,
                 scheme: Optional[str] = None, route: Any = None) -> None: ...
    @staticmethod
    async def create(app: Any, client_reader: Any, client_writer: Any, client_addr: Any,
                     scheme: Optional[str] = None) -> Optional[Request]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def stream(self) -> Any: ...
    @property
    def cookies(self) -> dict[str, str]: ...
    @property
    def json(self) -> Any: ...
    @property
    def form(self) -> Optional[MultiDict]: ...
    @property
    def files(self) -> Optional[MultiDict]: ...
    def after_request(self, f: Callable[..., Any]) -> Callable[..., Any]: ...
