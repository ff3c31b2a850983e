"""The local key file (var/keys.env) for demo and development machines.

`python -m config.keyfile` writes DJANGO_SECRET_KEY, REALNAME_DATA_KEYS, REALNAME_INDEX_KEY and
REALNAME_LEDGER_SIGNING_KEY to it with mode 0600 when they are missing; existing values are never replaced
(that would orphan encrypted data or invalidate signed checkpoints). Runs without Django, since Django's
settings need these values to start.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def default_path() -> Path:
    var_dir = Path(os.environ.get("REALNAME_VAR_DIR", BASE_DIR / "var"))
    return Path(os.environ.get("REALNAME_KEY_FILE", var_dir / "keys.env"))


def read(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def new_key_text() -> str:
    """A fresh random 256-bit key in the text form the settings expect (unpadded base64url)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def ensure(path: Path) -> list[str]:
    """Add the missing secrets to ``path`` (0600); return the names written."""
    present = read(path)
    wanted = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "REALNAME_DATA_KEYS": f"k1:{new_key_text()}",
        "REALNAME_INDEX_KEY": new_key_text(),
        "REALNAME_LEDGER_SIGNING_KEY": new_key_text(),  # an Ed25519 seed is any 32 random bytes
    }
    missing = {k: v for k, v in wanted.items() if k not in present and not os.environ.get(k)}
    path.parent.mkdir(parents=True, exist_ok=True)
    if missing:
        is_new = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            if is_new:
                handle.write(
                    "# Local secrets written by `python -m config.keyfile`. Keep this file private.\n"
                )
            for key, value in missing.items():
                handle.write(f"{key}={value}\n")
    if path.exists():
        os.chmod(path, 0o600)
    return list(missing)


if __name__ == "__main__":
    target = default_path()
    written = ensure(target)
    if written:
        sys.stdout.write(f"已生成本地密钥 {', '.join(written)} → {target}\n")
