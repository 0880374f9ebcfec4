"""The imports a pickle stream would make, read from its opcodes without ever unpickling.

`pickletools.genops` decodes one opcode at a time; we keep only what resolving an import
needs (the memo's strings and the last two values pushed), so memory stays small however many
opcodes a file holds. `GLOBAL`/`INST` name their import in the opcode; `STACK_GLOBAL` takes
module and name from the stack, usually through the memo (`BINPUT` ... `BINGET`), so the memo's
strings are tracked. An import whose operands are not plain strings is reported as unresolved
(`?`), which no allow-list admits: a scanner that cannot name an import must not call it safe.
"""

from __future__ import annotations

import pickletools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import IO, Final

UNRESOLVED: Final = "?"
TORCH_LEGACY_MAGIC: Final = 0x1950A86A20F9469CFC6C
TORCH_LEGACY_PICKLES: Final = 5  # magic, protocol, sys info, the object, the storage keys
MEMO_LIMIT: Final = 1_000_000  # entries tracked per pickle (bounds memory)
_STRING_OPS: Final = frozenset(
    {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
     "BINUNICODE8"}
)  # fmt: skip
_PUT_OPS: Final = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS: Final = frozenset({"GET", "BINGET", "LONG_BINGET"})
# Opcodes that push nothing: they leave the two values STACK_GLOBAL would take untouched.
_NEUTRAL_OPS: Final = frozenset({"PROTO", "FRAME", "MEMOIZE", *_PUT_OPS})


class LimitReached(Exception):
    """The byte cap or the time budget stopped the scan; `reason` says which, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BoundedReader:
    """A read-only view of a stream that stops at a byte cap and at a deadline.

    genops reads each opcode through `read`/`readline`, so the cap is checked on every read
    and the clock every few hundred (a clock read per opcode would double the scan's cost).
    Bytes given back with `unread` (a format sniff, a look-ahead) are read again first.
    """

    _CLOCK_EVERY: Final = 512

    def __init__(self, raw: IO[bytes], *, max_bytes: int, deadline: float, cap_text: str) -> None:
        self._raw = raw
        self._max = max_bytes
        self._deadline = deadline
        self._cap_text = cap_text
        self._pending = b""
        self._calls = 0
        self.consumed = 0

    def unread(self, data: bytes) -> None:
        self._pending = data + self._pending

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            return self._from_pending(size, line=False)
        allowed = self._max - self.consumed + 1
        data = self._raw.read(allowed if size is None or size < 0 else min(size, allowed))
        return self._account(data)

    def readline(self, size: int = -1) -> bytes:
        if self._pending:
            return self._from_pending(size, line=True)
        allowed = self._max - self.consumed + 1
        data = self._raw.readline(allowed if size is None or size < 0 else min(size, allowed))
        return self._account(data)

    def _account(self, data: bytes) -> bytes:
        self.consumed += len(data)
        if self.consumed > self._max:
            raise LimitReached(f"too large: more than {self._cap_text} of pickle data")
        self._calls += 1
        if self._calls % self._CLOCK_EVERY == 0 and time.monotonic() > self._deadline:
            raise LimitReached("the scan's time budget ran out")
        return data

    def _from_pending(self, size: int | None, *, line: bool) -> bytes:
        pending = self._pending
        cut = pending.find(b"\n") + 1 if line else 0
        if cut > 0:
            out, self._pending = pending[:cut], pending[cut:]
            return out
        if not line and size is not None and 0 <= size <= len(pending):
            out, self._pending = pending[:size], pending[size:]
            return out
        self._pending = b""
        rest = -1 if size is None or size < 0 else size - len(pending)
        more = self.readline(rest) if line else self.read(rest)
        return pending + more

    def tell(self) -> int:
        return self.consumed - len(self._pending)


@dataclass
class StreamScan:
    """What one pickle stream imports. `error` is set when no pickle could be read at all."""

    imports: set[str] = field(default_factory=set)
    pickles: int = 0
    error: str | None = None
    error_at: int = 0  # bytes read when the error struck
    trailing: bool = False  # bytes that are no pickle follow the last pickle


def scan_stream(reader: BoundedReader, *, head: bytes = b"", into: set[str]) -> StreamScan:
    """Every import of the pickles in `reader`, one after another until its end.

    A file may hold several pickles (legacy PyTorch files hold five, then raw tensor bytes),
    so after each STOP the next one is read if the stream goes on with a PROTO opcode. Bytes
    that do not decode after a complete pickle are data, not pickle: unpickling them would
    fail the same way, so they can import nothing. `head` holds bytes the caller already
    read from `reader` to sniff the format. Imports are added to `into` as they are found,
    so they count even when LimitReached stops the scan midway.
    """
    result = StreamScan(imports=into)
    reader.unread(head)
    limit: int | None = None
    while True:
        try:
            # Each pickle has its own memo, as each pickle.load() starts a fresh one.
            first_value = _scan_one(reader, {}, result.imports)
        except LimitReached:
            raise
        except Exception as exc:  # genops raises ValueError and friends on bad bytes
            if result.pickles == 0:
                result.error = f"not a readable pickle ({type(exc).__name__}: {exc})"
                result.error_at = reader.tell()
            return result
        result.pickles += 1
        if result.pickles == 1 and first_value == TORCH_LEGACY_MAGIC:
            limit = TORCH_LEGACY_PICKLES
        if limit is not None and result.pickles >= limit:
            return result
        leading = reader.read(1)
        if not leading or (limit is None and leading != b"\x80"):
            result.trailing = bool(leading) and limit is None
            return result  # the end, or raw data after the last pickle
        reader.unread(leading)


def _scan_one(stream: BoundedReader, memo: dict[int, str | None], imports: set[str]) -> object:
    """Read one pickle up to its STOP; add its imports. Returns the first value it pushes
    when that is an integer (the legacy PyTorch magic number), else None."""
    recent: deque[str | None] = deque(maxlen=2)  # the last two values pushed
    first_int: object = None
    seen_value = False
    for opcode, arg, _pos in pickletools.genops(stream):  # type: ignore[arg-type]
        name = opcode.name
        if name in _NEUTRAL_OPS:
            if name == "MEMOIZE":
                _remember(memo, len(memo), recent)
            elif name in _PUT_OPS:
                _remember(memo, int(arg), recent)  # type: ignore[arg-type]
            continue
        if not seen_value and name != "STOP":
            seen_value = True
            if "INT" in name or "LONG" in name:
                first_int = arg
        if name in _STRING_OPS:
            recent.append(arg if isinstance(arg, str) else _text(arg))
        elif name in _GET_OPS:
            recent.append(memo.get(int(arg)))  # type: ignore[arg-type]
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            imports.add(f"{module}.{attr}")
            recent.append(None)
        elif name == "STACK_GLOBAL":
            owner = recent[0] if len(recent) == 2 else None
            member = recent[-1] if recent else None
            imports.add(f"{owner or UNRESOLVED}.{member or UNRESOLVED}")
            recent.clear()
            recent.append(None)
        else:
            recent.append(None)
    return first_int


def _remember(memo: dict[int, str | None], index: int, recent: deque[str | None]) -> None:
    """Memoize the top value (None for anything but a string), exactly as pickle does, up
    to MEMO_LIMIT entries; a string memoized past it is not tracked, so an import through
    it reads as unresolved (unsafe), never as a wrong, harmless-looking name."""
    if index in memo or len(memo) < MEMO_LIMIT:
        memo[index] = recent[-1] if recent else None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return None
