import subprocess
from typing import Any, FrozenSet, Iterable, Mapping, Optional, Union

__all__ = ['CPYTHON_ONLY', 'find_micropython', 'micropython_flat_build', 'run_micropython',
           'MicroPythonServer', 'run_stubtest']


CPYTHON_ONLY: FrozenSet[str]

def find_micropython() -> Optional[str]: ...
def micropython_flat_build(target_dir: Any, modules: Optional[Iterable[str]] = None,
                           folders: Optional[Iterable[str]] = None) -> str: ...
def run_micropython(script: str, args: Iterable[Any] = (), micropypath: Iterable[Any] = (),
                    heapsize: str = '256k', cwd: Any = None, timeout: float = 60,
                    env: Optional[Mapping[str, str]] = None,
                    micropython: Optional[str] = None) -> subprocess.CompletedProcess[str]: ...

class MicroPythonServer:
    host: str
    port: int
    start_timeout: float
    argv: list[str]
    env: dict[str, str]
    cwd: Any
    process: Optional[subprocess.Popen[bytes]]
    def __init__(self, script: str, args: Iterable[Any] = (), micropypath: Iterable[Any] = (),
                 heapsize: str = '256k', cwd: Any = None, host: str = '127.0.0.1',
                 port: Optional[int] = None, start_timeout: float = 20,
                 env: Optional[Mapping[str, str]] = None,
                 micropython: Optional[str] = None) -> None: ...
    @property
    def url(self) -> str: ...
    def output(self) -> str: ...
    def start(self) -> MicroPythonServer: ...
    def stop(self, timeout: float = 10) -> None: ...
    def __enter__(self) -> MicroPythonServer: ...
    def __exit__(self, *exc_info: Any) -> None: ...

def run_stubtest(*module_names: str, allowlist: Any = None,
                 timeout: float = 300) -> subprocess.CompletedProcess[str]: ...
