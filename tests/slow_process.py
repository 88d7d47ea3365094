"""A child that reads its job and then works for five minutes: what a build must stop, not wait for
(tests/test_mkdocs_apart.py runs it in place of mkdocs)."""

import sys
import time

if __name__ == "__main__":
    sys.stdin.buffer.read()
    time.sleep(300)
