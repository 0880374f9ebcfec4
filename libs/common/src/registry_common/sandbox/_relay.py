"""Inside the sandbox: the program's only way out under the ``allow-list`` network policy.

Run by the sandbox as ``python3 -I -S _relay.py <socket> <port> -- <command> <args...>`` in the
program's network namespace, where only loopback exists. It listens on ``127.0.0.1:<port>``
(the ``HTTP(S)_PROXY`` the program is given), forwards every connection to ``<socket>``, a Unix
socket served outside by the registry's egress proxy (``egress.py``), which decides what may be
reached, and runs the command as its child, exiting with its status (128 + N for a signal).

It runs as the program's own uid: the program can kill it, or talk to the socket directly, and
reaches nothing more than through it. Standard library only (it runs under the system Python).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (sink, source):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _serve(listener: socket.socket, path: str) -> None:
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(path)
        except OSError:
            client.close()
            upstream.close()
            continue
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()


def main(argv: list[str]) -> int:
    path, port, separator, *command = argv[1:]
    if separator != "--" or not command:
        sys.stderr.write("sandbox-relay: usage: _relay.py SOCKET PORT -- COMMAND...\n")
        return 125
    listener = socket.create_server(("127.0.0.1", int(port)))
    threading.Thread(target=_serve, args=(listener, path), daemon=True).start()
    try:
        child = subprocess.Popen(command)  # noqa: S603 - the sandboxed program itself
    except OSError as exc:
        sys.stderr.write(f"sandbox-relay: cannot start {command[0]}: {exc}\n")
        return 127
    signal.signal(signal.SIGTERM, lambda *_: child.kill())
    status = child.wait()
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
