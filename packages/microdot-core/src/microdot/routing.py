"""URL patterns: ``/users/<int:id>`` and friends."""
import re

from .datastructures import urldecode
from .http11 import HTTPException


def _regex_escape(text):
    return ''.join('\\' + c if c in '.^$*+?{}[]\\|()' else c for c in text)


def _count_groups(pattern):
    # capturing groups in a user regex shift the positions of ours (MicroPython has no named groups)
    n = 0
    for i, c in enumerate(pattern):
        if c == '(' and (i == 0 or pattern[i - 1] != '\\') and pattern[i + 1:i + 2] != '?':
            n += 1
    return n


class URLPattern:
    """A route pattern such as ``/users/<int:id>``. Static segments match literally."""

    segment_patterns = {
        'string': '[^/]+',
        'int': '-?[0-9]+',
        'path': '.+',
    }
    segment_parsers = {
        'int': int,
    }

    def __init__(self, url_pattern):
        self.url_pattern = url_pattern
        self.segments = []
        self.regex = None
        self.static = '<' not in url_pattern

    def compile(self):
        regex = ''
        group = 1
        for segment in self.url_pattern.lstrip('/').split('/'):
            if segment.startswith('<'):
                if not segment.endswith('>'):
                    raise ValueError('invalid URL pattern')
                spec = segment[1:-1]
                type_, _, name = spec.rpartition(':')
                type_ = type_ or 'string'
                parser = None
                if type_.startswith('re:'):
                    pattern = type_[3:]
                else:
                    if type_ not in self.segment_patterns:
                        raise ValueError('invalid URL segment type')
                    pattern = self.segment_patterns[type_]
                    parser = self.segment_parsers.get(type_)
                regex += '/(' + pattern + ')'
                self.segments.append((name, parser, group, type_ == 'path'))
                group += 1 + _count_groups(pattern)
            elif '<' in segment or '>' in segment:
                raise ValueError('invalid URL pattern')
            else:
                regex += '/' + _regex_escape(segment)
        self.regex = re.compile('^' + regex + '$')
        return self.regex

    def match(self, path):
        """The path arguments (a dict) if ``path`` matches, else None."""
        if self.static:
            return {} if path == self.url_pattern else None
        if self.regex is None:
            self.compile()
        g = self.regex.match(path)
        if not g:
            return None
        args = {}
        for name, parser, group, is_path in self.segments:
            value = g.group(group)
            if '%' in value or '+' in value:
                try:
                    value = urldecode(value.replace('+', '%2B'))
                except ValueError:  # bad escape or invalid UTF-8: the client's error
                    raise HTTPException(400, 'Bad request')
            if parser:
                value = parser(value)
                if value is None:
                    return None
            args[name] = value
        return args

    @classmethod
    def register_type(cls, type_name, pattern='[^/]+', parser=None):
        """Add (or replace) a segment type for ``<type_name:arg>`` placeholders."""
        cls.segment_patterns[type_name] = pattern
        if parser is None:
            cls.segment_parsers.pop(type_name, None)
        else:
            cls.segment_parsers[type_name] = parser
