"""Run by test_micropython.py under MicroPython: ``micropython mp_decode.py IN.json OUT.json``.

IN: ``{"key": ..., "tokens": {name: token}, "payload": {...}}``. OUT: ``{"decoded": {name: dict},
"encoded": token of payload, "implementation": "builtin" | "pyjwt"}``.
"""
import json
import sys

import microdot.session as session_module
from microdot.session import Session

with open(sys.argv[1]) as f:
    given = json.load(f)
session = Session(secret_key=given['key'])
decoded = {}
for name in given['tokens']:
    decoded[name] = session.decode(given['tokens'][name])
out = {'decoded': decoded, 'encoded': session.encode(given['payload']),
       'implementation': 'builtin' if session_module._pyjwt is None else 'pyjwt'}
with open(sys.argv[2], 'w') as f:
    json.dump(out, f)
print('OK')
