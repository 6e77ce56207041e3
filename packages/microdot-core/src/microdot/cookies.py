"""Set-Cookie header values (``Response.set_cookie``). Loaded on first use, so that an app that
sets no cookie does not keep this code in memory (MicroPython)."""
from .http11 import format_http_date


def set_cookie_value(cookie, value, path=None, domain=None, expires=None, max_age=None,
                     secure=False, http_only=False, partitioned=False, same_site=None):
    """The value of a ``Set-Cookie`` header; ValueError for what would break the header."""
    value = str(value)
    for part in (cookie, value, path or '', domain or '', str(expires or '')):
        if '\r' in part or '\n' in part:
            raise ValueError('invalid cookie')
    if ';' in value or ';' in cookie or '=' in cookie:
        raise ValueError('invalid cookie value')
    http_cookie = '{}={}'.format(cookie, value)
    if path:
        http_cookie += '; Path=' + path
    if domain:
        http_cookie += '; Domain=' + domain
    if expires:
        if isinstance(expires, str):
            http_cookie += '; Expires=' + expires
        else:
            http_cookie += '; Expires=' + format_http_date(expires.utctimetuple())
    if max_age is not None:
        http_cookie += '; Max-Age=' + str(int(max_age))
    if secure:
        http_cookie += '; Secure'
    if http_only:
        http_cookie += '; HttpOnly'
    if same_site:
        if same_site.lower() not in ('lax', 'strict', 'none'):
            raise ValueError('invalid SameSite value')
        http_cookie += '; SameSite=' + {'lax': 'Lax', 'strict': 'Strict',
                                        'none': 'None'}[same_site.lower()]
    if partitioned:
        http_cookie += '; Partitioned'
    return http_cookie
