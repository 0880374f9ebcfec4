"""The AWS API emulator process of the distributed topology: moto's server, with one race in
its SQS model closed.

moto 5.2's `Queue.delete_message` rebuilds the queue's message list without holding the
queue's lock, while its server handles requests on threads. Two deletes on one queue at
once (a consumer acknowledging a batch it handled concurrently, as the SNS/SQS bus does)
can each write back a list that still holds the other's message: a deleted message comes
back after its visibility timeout, and a send at the same moment can be lost. Real SQS does
neither. The delete is run under the lock `add_message` already takes (a reentrant
Condition), so the emulator keeps SQS's guarantees and the invariant's queue check measures
the registry, not the emulator.

`python -m tests.harness.aws_emulator -H 127.0.0.1 -p PORT` takes moto_server's arguments.
"""

from __future__ import annotations

from typing import Any

from moto.server import main
from moto.sqs.models import Queue

_unlocked_delete = Queue.delete_message


def _delete_under_lock(self: Any, receipt_handle: str) -> None:
    with self._messages_lock:
        _unlocked_delete(self, receipt_handle)


Queue.delete_message = _delete_under_lock  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
