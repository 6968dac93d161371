"""How much crmconf logs: `--verbose` (-v, -vv) and `CRMCONF_LOG`, and the vendor request log line.

Log records reach stderr through the handler crmconf.cli installs, which masks every secret
(crmconf.redact) like any other message. By default only warnings show. `-v` shows every vendor request
(method, path, status, time) and every retry with its figures (attempt, wait, reason); `-vv` everything
crmconf logs. `CRMCONF_LOG` does the same from the environment (CI): a level for crmconf's loggers
(`info`, `debug`), or `logger=level` pairs for any logger (`crmconf.http=info,urllib3=debug`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import urlsplit

from crmconf.errors import UsageError

HTTP = logging.getLogger("crmconf.http")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_set: list[logging.Logger] = []
_listeners: list[Callable[[], None]] = []  # told of each request as it is answered (progress counts them)  # the loggers a run configured: reset by the next run (tests run many in one process)


def levels(verbose: int, env: Mapping[str, str]) -> dict[str, int]:
    """Logger name -> level, from -v count and CRMCONF_LOG (which refines or adds to what -v asks)."""
    wanted: dict[str, int] = {}
    if verbose:
        wanted["crmconf"] = logging.INFO if verbose == 1 else logging.DEBUG
    raw = env.get("CRMCONF_LOG", "").strip()
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, _, level = item.rpartition("=")
        if level.lower() not in LEVELS:
            raise UsageError(f"CRMCONF_LOG: {level!r} is not a level; use one of {', '.join(LEVELS)}, or "
                             "logger=level pairs separated by commas (crmconf.http=info,urllib3=debug)")
        wanted[name.strip() or "crmconf"] = LEVELS[level.lower()]
    return wanted


def configure(verbose: int, env: Mapping[str, str]) -> None:
    for logger in _set:
        logger.setLevel(logging.NOTSET)
    _set.clear()
    for name, level in levels(verbose, env).items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        _set.append(logger)


class Shown(logging.Filter):
    """Warnings of any logger; below that, only records of the loggers a run asked for (a library that
    sets its own logger to INFO stays quiet)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or any(
            record.name == logger.name or record.name.startswith(logger.name + ".") for logger in _set)


@contextlib.contextmanager
def listening(listener: Callable[[], None]) -> Iterator[None]:
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def request(vendor: str, method: str, url: str, status: int | str, seconds: float) -> None:
    """One vendor request, as `--verbose` shows it: the path without its query (a SOQL text or search
    can be long), never headers or bodies (they hold the credentials)."""
    for listener in list(_listeners):
        listener()
    if HTTP.isEnabledFor(logging.INFO):
        HTTP.info("%s %s %s %s (%.0f ms)", vendor, method.upper(), urlsplit(url).path or "/", status, seconds * 1000)
