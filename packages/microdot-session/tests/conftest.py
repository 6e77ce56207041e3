"""Shared by the session tests: the tests folder on sys.path (attacks.py, mp_decode.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
