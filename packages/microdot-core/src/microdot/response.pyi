from typing import Any, Optional, Union

from .datastructures import NoCaseDict

class Response:
    types_map: dict[str, str]
    send_file_buffer_size: int
    default_content_type: str
    default_send_file_max_age: Optional[int]
    already_handled: Response
    status_code: int
    headers: NoCaseDict
    reason: Optional[str]
    body: Any
    is_head: bool
    def __init__(self, body: Any = b'', status_code: int = 200,
                 headers: Optional[dict[str, Any]] = None,
                 reason: Optional[str] = None) -> None: ...
    def set_cookie(self, cookie: str, value: str, path: Optional[str] = None,
                   domain: Optional[str] = None, expires: Any = None,
                   max_age: Optional[int] = None, secure: bool = False, http_only: bool = False,
                   partitioned: bool = False, same_site: Optional[str] = None) -> None: ...
    def delete_cookie(self, cookie: str, **kwargs: Any) -> None: ...
    def complete(self) -> None: ...
    def body_iter(self) -> Any: ...
    async def write(self, stream: Any) -> None: ...
    @classmethod
    def redirect(cls, location: str, status_code: int = 302) -> Response: ...
    @classmethod
    def send_file(cls, filename: str, status_code: int = 200, content_type: Optional[str] = None,
                  stream: Any = None, max_age: Optional[int] = None, compressed: Union[bool, str] = False,
                  file_extension: str = '') -> Response: ...

def send_from_directory(directory: str, path: str, **kwargs: Any) -> Response: ...
