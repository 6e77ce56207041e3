from typing import Any, Optional, Union

from .datastructures import NoCaseDict
from .microdot import Microdot

__all__ = ['TestClient', 'TestResponse']

class TestResponse:
    __test__: bool
    status_code: Optional[int]
    reason: Optional[str]
    headers: Optional[NoCaseDict]
    body: Optional[bytes]
    text: Optional[str]
    json: Any
    events: Optional[list[Any]]
    def __init__(self) -> None: ...
    @classmethod
    async def create(cls, res: Any) -> TestResponse: ...

def parse_event_stream(data: bytes) -> list[Any]: ...

class TestClient:
    __test__: bool
    app: Microdot
    cookies: dict[str, str]
    scheme: Optional[str]
    host: str
    def __init__(self, app: Microdot, cookies: Optional[dict[str, str]] = None,
                 scheme: Optional[str] = None, host: Optional[str] = None) -> None: ...
    async def request(self, method: str, path: str, headers: Optional[dict[str, str]] = None,
                      body: Any = None, sock: Any = None) -> TestResponse: ...
    async def get(self, path: str, headers: Optional[dict[str, str]] = None) -> TestResponse: ...
    async def head(self, path: str, headers: Optional[dict[str, str]] = None) -> TestResponse: ...
    async def options(self, path: str, headers: Optional[dict[str, str]] = None) -> TestResponse: ...
    async def post(self, path: str, headers: Optional[dict[str, str]] = None,
                   body: Any = None) -> TestResponse: ...
    async def put(self, path: str, headers: Optional[dict[str, str]] = None,
                  body: Any = None) -> TestResponse: ...
    async def patch(self, path: str, headers: Optional[dict[str, str]] = None,
                    body: Any = None) -> TestResponse: ...
    async def delete(self, path: str, headers: Optional[dict[str, str]] = None) -> TestResponse: ...
    async def websocket(self, path: str, client: Any,
                        headers: Optional[dict[str, str]] = None) -> Any: ...
