"""Standard MIDI File writing in pure Python (no numpy): the training data
(data.py) and the tests that write MIDI share it; some of those tests run
without numpy. tools/smf.c is the reader; this is written independently."""

import struct
from typing import Iterable, Sequence, Tuple


def vlq(n: int) -> bytes:
    """A MIDI variable-length quantity (delta times, lengths)."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def track(events: Iterable[Tuple[int, bytes]], tail: int = 0) -> bytes:
    """An MTrk chunk of events (tick, bytes) in time order, written as given
    (running status is the caller's); end of track `tail` ticks after the
    last event."""
    body, now = bytearray(), 0
    for tick, data in events:
        body += vlq(tick - now) + data
        now = tick
    body += vlq(tail) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


def smf(fmt: int, tracks: Sequence[bytes], tpq: int = 480) -> bytes:
    """A whole file: the header chunk, then the tracks."""
    return b"MThd" + struct.pack(">IHHH", 6, fmt, len(tracks), tpq) + b"".join(tracks)
