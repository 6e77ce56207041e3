from typing import IO, Any, Awaitable, Callable, ClassVar, Optional, Tuple, Union, overload

from microdot import Microdot, Request

__version__: str
MICRODOT_EXTENSION_API: int


class Multipart:
    name: ClassVar[str]
    max_parts: Optional[int]
    max_part_header_size: int
    max_field_size: Optional[int]
    max_file_size: Optional[int]
    max_memory_size: int
    chunk_size: int
    spool_dir: Optional[str]

    def __init__(self, app: Optional[Microdot] = ..., max_parts: Optional[int] = ...,
                 max_part_header_size: int = ..., max_field_size: Optional[int] = ...,
                 max_file_size: Optional[int] = ..., max_memory_size: int = ...,
                 chunk_size: int = ..., spool_dir: Optional[str] = ...) -> None: ...
    def initialize(self, app: Microdot) -> Multipart: ...


def sanitize_filename(filename: str, max_length: int = ...) -> str: ...


class FileUpload:
    max_memory_size: ClassVar[Optional[int]]
    raw_filename: str
    filename: str
    content_type: Optional[str]
    name: Optional[str]
    size: int

    def __init__(self, filename: str, content_type: Optional[str],
                 read: Callable[[int], Awaitable[bytes]], name: Optional[str] = ...,
                 settings: Optional[Multipart] = ...) -> None: ...
    async def read(self, n: int = ...) -> bytes: ...
    async def save(self, path_or_file: Union[str, IO[bytes]]) -> int: ...
    async def copy(self, max_memory_size: Optional[int] = ...) -> FileUpload: ...
    async def close(self) -> None: ...


class FormDataIter:
    request: Request
    settings: Multipart
    boundary: Optional[bytes]

    def __init__(self, request: Request, **options: Any) -> None: ...
    def __aiter__(self) -> FormDataIter: ...
    async def __anext__(self) -> Tuple[str, Union[str, FileUpload]]: ...


@overload
def with_form_data(f: Callable[..., Any]) -> Callable[..., Awaitable[Any]]: ...
@overload
def with_form_data(f: None = ..., **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Awaitable[Any]]]: ...
