from typing import Any, AsyncIterator, Dict, Iterator, Optional, Type, Union

import jinja2

from microdot import Microdot, Request
from microdot.utemplate import TemplateExtension as TemplateExtension, extension_for as extension_for

__all__ = ['Template', 'JinjaExtension', 'EngineNotInstalledError']
__version__: str
MICRODOT_EXTENSION_API: int
INSTALL_COMMAND: str
DEFAULT_CHUNK_SIZE: int

class EngineNotInstalledError(ImportError): ...

class Template:
    jinja_env: Optional[jinja2.Environment]
    _chunk_size: int
    name: str
    template: jinja2.Template
    chunk_size: int
    @classmethod
    def initialize(cls, template_dir: str = ..., enable_async: bool = ...,
                   chunk_size: int = ..., **kwargs: Any) -> None: ...
    def __init__(self, template: str, app: Union[Microdot, Request, None] = ..., **kwargs: Any) -> None: ...
    def generate(self, *args: Any, **kwargs: Any) -> Iterator[str]: ...
    def render(self, *args: Any, **kwargs: Any) -> str: ...
    def generate_async(self, *args: Any, **kwargs: Any) -> AsyncIterator[str]: ...
    async def render_async(self, *args: Any, **kwargs: Any) -> str: ...

class JinjaExtension(TemplateExtension):
    name: str
    template_dir: str
    enable_async: bool
    chunk_size: int
    options: Dict[str, Any]
    template_class: Type[Template]
    def __init__(self, app: Optional[Microdot] = ..., template_dir: str = ...,
                 enable_async: bool = ..., chunk_size: int = ..., **kwargs: Any) -> None: ...
    def initialize(self, app: Microdot) -> JinjaExtension: ...
    @property
    def environment(self) -> jinja2.Environment: ...
    def template(self, name: str, **kwargs: Any) -> Template: ...
