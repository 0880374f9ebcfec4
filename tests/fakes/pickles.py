"""Pickle files for the unsafe-weights scan, written as raw opcodes: never loaded anywhere.

`os_system_pickle` is what a booby-trapped checkpoint holds (loading it would run a shell
command); the benign ones hold only what plain weights need.
"""

from __future__ import annotations

import io
import pickle
import zipfile


def os_system_pickle(command: str = "echo pwned") -> bytes:
    """Protocol 4: `os.system(command)` through STACK_GLOBAL, its names taken from the memo."""
    arg = command.encode()
    return (
        b"\x80\x04"
        + b"\x8c\x02os\x94"  # SHORT_BINUNICODE 'os', MEMOIZE (0)
        + b"\x8c\x06system\x94"  # SHORT_BINUNICODE 'system', MEMOIZE (1)
        + b"00"  # POP POP: the names now live only in the memo
        + b"h\x00h\x01\x93"  # BINGET 0, BINGET 1, STACK_GLOBAL -> os.system
        + b"\x8c"
        + bytes([len(arg)])
        + arg
        + b"\x85R."  # TUPLE1, REDUCE, STOP
    )


def eval_pickle_protocol0() -> bytes:
    """Protocol 0: `builtins.eval('1+1')` through GLOBAL."""
    return b"cbuiltins\neval\n(S'1+1'\ntR."


def benign_state_dict_pickle() -> bytes:
    """A state dict as torch.save writes it: an OrderedDict of rebuilt tensors."""
    return (
        b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01"
        + b"X\x06\x00\x00\x00weightq\x02"
        + b"ctorch._utils\n_rebuild_tensor_v2\nq\x03"
        + b"(ctorch\nFloatStorage\nq\x04K\x00K\x02\x85q\x05K\x01\x85q\x06\x89ccollections\n"
        + b"OrderedDict\nq\x07)Rq\x08tq\tRq\n"
        + b"s."
    )


def plain_data_pickle() -> bytes:
    """Lists, dicts and numbers only: no import at all."""
    return pickle.dumps({"labels": ["cat", "dog"], "sizes": [1, 2, 3]}, protocol=4)


def torch_zip_archive(data_pkl: bytes) -> bytes:
    """A PyTorch zip checkpoint (torch.save since 1.6): `archive/data.pkl` and tensor bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/data/0", b"\x80\x00\x00\x3f" * 16)
        archive.writestr("archive/version", b"3\n")
    return buffer.getvalue()
