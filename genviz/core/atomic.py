"""One way to write a file: all of it or none of it.

`atomic_write` writes to `.{name}.<8 random characters>.tmp` in the target's folder, flushes and
fsyncs it, then `os.replace`s the target, so a full disk, a kill or a crash mid-write leaves the
previous file as it was. Every OS failure becomes a `SaveError` sentence. Temporary files of that
exact pattern left by killed writers are removed by `remove_stale_temp_files`.
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from pathlib import Path

from genviz.core.errors import SaveError

_CHUNK = 1 << 20
# Ours: ".{name}.{token}.tmp" with an 8-character token (secrets.token_hex(4) now; mkstemp's
# [a-z0-9_] before), so a user's own dot-files are never touched.
_TEMP_NAME = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")
STALE_AFTER_S = 600.0


def temp_name(target: str) -> str:
    return f".{target}.{secrets.token_hex(4)}.tmp"


def is_temp_name(name: str) -> bool:
    return _TEMP_NAME.fullmatch(name) is not None


def describe_os_error(err: OSError, path: Path) -> str:
    """One sentence for why `path` could not be written."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"There is no space left on the disk for {path}; the previous file, if any, is unchanged. Free some space or save elsewhere."
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"genviz may not write to {path.parent} (it is read-only or belongs to someone else); save elsewhere."
    if err.errno == errno.EISDIR:
        return f"{path} is a folder; give a file name instead."
    if err.errno in (errno.ENOTDIR, errno.ENOENT):
        return f"The folder for {path} cannot be created (part of its path is a file or missing)."
    reason = err.strerror or type(err).__name__
    return f"{path} could not be written ({reason}); the previous file, if any, is unchanged."


def _folder_is_read_only(folder: Path) -> bool:
    # Permission bits too: as root, os.access says yes even for a folder marked read-only.
    return not os.access(folder, os.W_OK) or not (folder.stat().st_mode & 0o222)


def check_writable(path: str | Path) -> Path:
    """Raise a SaveError sentence unless `path` could be written now (creates its folder).

    Meant for before a long run: a read-only or missing folder, or a folder at `path`, is
    found in a second instead of after the training.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise SaveError(f"{path} is a folder; give a file name instead.")
        if path.exists() and not stat.S_ISREG(path.stat().st_mode):
            raise SaveError(f"{path} exists and is not a regular file; choose another name.")
        path.parent.mkdir(parents=True, exist_ok=True)
        if _folder_is_read_only(path.parent):
            raise SaveError(f"genviz may not write to {path.parent} (it is read-only or belongs to someone else); "
                            "save elsewhere.")
    except OSError as err:
        raise SaveError(describe_os_error(err, path)) from None
    return path


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        n = os.write(fd, view[:_CHUNK])
        view = view[n:]


def atomic_write(path: str | Path, payload: bytes | str) -> Path:
    """Replace `path` with `payload` (str is written as UTF-8) all at once; returns the path.

    The new file gets mode 0o666 & ~umask like any ordinary file. On any failure the temporary
    file is removed and the old `path` is untouched; an OS failure raises a SaveError sentence.
    """
    path = Path(path)
    data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    check_writable(path)
    tmp = path.parent / temp_name(path.name)
    fd = -1
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        _write_all(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException as err:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError):
            raise SaveError(describe_os_error(err, path)) from None
        raise
    return path


def remove_stale_temp_files(folders: list[str | Path], older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Delete our own `.{name}.<token>.tmp` files older than `older_than_s` (left by killed saves).

    Only regular files whose name matches the writer's exact pattern; anything unreadable is
    left alone. Returns what was removed.
    """
    removed = []
    cutoff = time.time() - older_than_s
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not is_temp_name(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and st.st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                continue
    return removed
