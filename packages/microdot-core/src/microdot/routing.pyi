from typing import Any, Callable, Optional

class URLPattern:
    segment_patterns: dict[str, str]
    segment_parsers: dict[str, Optional[Callable[[str], Any]]]
    url_pattern: str
    segments: list[Any]
    regex: Any
    static: bool
    def __init__(self, url_pattern: str) -> None: ...
    def compile(self) -> None: ...
    def match(self, path: str) -> Optional[dict[str, Any]]: ...
    @classmethod
    def register_type(cls, type_name: str, pattern: str = '[^/]+',
                      parser: Optional[Callable[[str], Any]] = None) -> None: ...
