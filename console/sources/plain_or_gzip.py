"""A file's bytes, gunzipped when it is gzip: recordings, replayed logs, ``scan``'s year sniff.

Its own module so that ``labconsole scan`` can read a file's head this way without loading
the recordings machinery (events, the recorder's thread pool).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, cast

GZIP_MAGIC = b"\x1f\x8b"


def open_binary(path: Path) -> IO[bytes]:
    """``path`` opened for reading bytes; gzip is recognised by its magic, not its name."""
    raw = path.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw
