"""tests_dist: the distribution layer (tools/dists.py, tools/mip_index.py) checked against
packages/*. Not part of the conformance run; tox runs it in ``dist-check``."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
