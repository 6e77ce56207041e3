from microdot.microdot import (
    AsyncBytesIO as AsyncBytesIO,
    HTTPException as HTTPException,
    Microdot as Microdot,
    Request as Request,
    Response as Response,
    URLPattern as URLPattern,
    abort as abort,
    iscoroutine as iscoroutine,
    redirect as redirect,
    send_file as send_file,
    send_from_directory as send_from_directory,
)

__version__: str
