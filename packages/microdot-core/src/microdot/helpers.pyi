from functools import wraps as wraps
