"""Files that hold secrets (kernel connection keys): created 0600, never readable by others."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_private_json(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path``, created with mode 0600 before any byte is written
    (a chmod afterwards would leave the key readable for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    return path
