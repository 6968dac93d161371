"""The one place secrets are masked: every output, error, log line and file crmconf writes passes here.

Secrets are learned, not guessed at each call site: the value of every environment variable a target's
settings name (`*_env`, the contract's convention for credentials) is registered when the provider is
opened, and so is any environment variable whose name says it holds a credential (TOKEN, SECRET,
PASSWORD, ...), at start-up. A secret is masked in every form it can take in text: as written, split at
its control characters or whitespace (an error may show one line of a token holding a newline), and as
Python's repr, JSON or URL encoding would escape it (a client library quoting a bad header value).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_LENGTH = 4  # shorter values would mask ordinary words everywhere; no real credential is this short
MIN_PART = 8  # a fragment of a secret (one of its lines) is masked on its own when at least this long
# Names that END like a credential's: XDG_SESSION_TYPE or GIT_AUTHOR_NAME must not mask ordinary words.
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|PASS|API_?KEY|PRIVATE_?KEY|SESSION(_?ID)?|SID)$", re.I)
_SPLIT = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")

_lock = threading.Lock()
_secrets: set[str] = set()
_forms: tuple[str, ...] = ()  # every masked form, longest first (a form may contain a shorter one)


def _variants(secret: str) -> set[str]:
    forms = {
        secret,
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret.encode("utf-8", "surrogateescape"))[2:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }
    forms.update(part for part in _SPLIT.split(secret) if len(part) >= MIN_PART)
    return {f for f in forms if len(f) >= MIN_LENGTH}


def register(*values: str | None) -> None:
    """Mask these values from now on (blank or very short values are ignored)."""
    global _forms
    fresh = [v for v in values if v and len(v.strip()) >= MIN_LENGTH and v not in _secrets]
    if not fresh:
        return
    with _lock:
        _secrets.update(fresh)
        forms = set(_forms)
        for value in fresh:
            forms |= _variants(value)
        _forms = tuple(sorted(forms, key=len, reverse=True))


def register_environment(environ: Mapping[str, str] | None = None) -> None:
    """Every environment variable whose name says it holds a credential."""
    env = os.environ if environ is None else environ
    register(*(value for name, value in env.items() if _SECRET_NAME.search(name)))


def register_settings(settings: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> None:
    """The values of the environment variables a target's settings name (`token_env: HUBSPOT_TOKEN`)."""
    env = os.environ if environ is None else environ
    names = [str(v) for k, v in settings.items() if k.endswith("_env") and isinstance(v, str)]
    register(*(env.get(n) for n in names))


def known() -> tuple[str, ...]:
    return tuple(sorted(_secrets))


def forget() -> None:
    """For tests: start from no secrets."""
    global _forms
    with _lock:
        _secrets.clear()
        _forms = ()


def mask(text: str) -> str:
    forms = _forms
    if not forms:
        return text
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def mask_all(texts: Iterable[str]) -> list[str]:
    return [mask(t) for t in texts]


def mask_data(value: Any) -> Any:
    """Mask every string in JSON-like data (keys too): masking the serialised text instead could cut
    through its quoting when a secret holds a quote, and leave a file no parser reads."""
    if not _forms:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {mask(str(k)) if isinstance(k, str) else k: mask_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """Attached to every handler crmconf installs: a log record leaves with its secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
