"""Small helpers shared by the extensions (kept for Microdot 2.x imports)."""
try:
    from functools import wraps
except ImportError:  # MicroPython without functools
    def wraps(wrapped):
        def decorator(wrapper):
            return wrapper
        return decorator
