"""Write only what changed: the site and the drafts are rebuilt every night from a content hash.

Each output file is recorded with the hash of everything it was made from (its data, the
templates and the code that renders it). A file whose inputs hash the same as last time,
and which is still on disk, is neither rendered nor written again; a file no longer
produced is removed. The record is `.build-state.json` in the output folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

STATE_FILE = ".build-state.json"


def content_key(*parts: object) -> str:
    """A stable hash of plain data (tuples, lists, dicts, str, numbers, None)."""
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def code_version(*paths: Path) -> str:
    """Hash of the files that decide how outputs look: a change to any of them rebuilds everything."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(paths):
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(file.name.encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass
class ContentWriter:
    root: Path
    version: str  # code_version of the renderer; a new version rebuilds every file
    previous: dict[str, str] = field(default_factory=dict)
    # Fingerprint of everything the last complete build read; equal inputs (and every file still
    # on disk) mean there is nothing to do, without hashing each file's inputs.
    inputs: str = ""
    previous_inputs: str = ""
    current: dict[str, str] = field(default_factory=dict)
    written: int = 0
    unchanged: int = 0
    removed: int = 0

    @classmethod
    def open(cls, root: Path, version: str) -> "ContentWriter":
        root = Path(root)
        state_path = root / STATE_FILE
        previous: dict[str, str] = {}
        previous_inputs = ""
        if state_path.exists():
            try:
                state = json.loads(state_path.read_text(encoding="utf-8"))
                if state.get("version") == version:
                    previous = dict(state.get("files", {}))
                    previous_inputs = state.get("inputs", "")
            except (OSError, ValueError):
                previous = {}
        return cls(root=root, version=version, previous=previous, previous_inputs=previous_inputs)

    def up_to_date(self, inputs: str) -> bool:
        """True when the last build read the same inputs and all it wrote is still on disk."""
        return bool(inputs) and inputs == self.previous_inputs and all(
            (self.root / relative).exists() for relative in self.previous)

    def is_current(self, relative: str, key: str) -> bool:
        """True (and recorded as produced) when the file is on disk and was made from the same inputs."""
        if self.previous.get(relative) == key and (self.root / relative).exists():
            self.current[relative] = key
            self.unchanged += 1
            return True
        return False

    def keep(self, relative: str) -> None:
        """Leave a file as it is though not made again this time (it says when its data was
        taken): its old record stays, so a later build still sees it out of date."""
        if relative in self.previous and (self.root / relative).exists():
            self.current[relative] = self.previous[relative]

    def age(self, relative: str) -> float:
        """When the file on disk was written (its mtime), or -inf when there is none."""
        try:
            return (self.root / relative).stat().st_mtime
        except OSError:
            return float("-inf")

    def write(self, relative: str, content: str | bytes, key: str) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        atomic_write(self.root / relative, data)
        self.current[relative] = key
        self.written += 1

    def finish(self, prune: bool = True) -> None:
        """Remove what is no longer produced (unless this build made only some of the files), then
        record the state."""
        if not prune:
            self.current = {**self.previous, **self.current}
        for relative in set(self.previous) - set(self.current):
            target = self.root / relative
            if target.exists():
                target.unlink()
                self.removed += 1
        state = {"version": self.version, "inputs": self.inputs, "files": dict(sorted(self.current.items()))}
        atomic_write(self.root / STATE_FILE, json.dumps(state, ensure_ascii=False).encode("utf-8"))
