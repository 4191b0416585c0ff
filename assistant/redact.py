"""One home for keeping secrets out of logs and error text: the access token, the LLM API key, any `SecretStr`.

Secrets are registered once (`add_secrets`, from the settings) and then removed from every text that
`redact` sees: literally, percent-encoded (`%73%33cret`), and as the value of a `token=` query parameter
however it is spelled (`Token=`, `%74oken=`). `RedactFilter` applies this to log records (message, arguments,
traceback) and is attached to every handler the CLI and uvicorn install.

    add_secrets(*settings_secrets(settings))
    handler.addFilter(RedactFilter())
    log.warning("LLM failed: %s", redact(str(exc)))
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, unquote_plus

from pydantic import BaseModel, SecretStr

MASK = "***"
# Query parameters whose value is a credential, compared after percent-decoding and case folding.
SECRET_PARAMS = frozenset({"token", "access_token", "api_key", "apikey"})

# The registry is process-wide like logging itself: records come from any thread and any library.
_secrets: tuple[str, ...] = ()
_lock = threading.Lock()

_PARAM = re.compile(r"(^|[?&;\s])([^=&;?#\s\"'<>]+)=([^&;#\s\"'<>]*)")
_WORD = re.compile(r"[^\s\"'<>]+")
_BEARER = re.compile(r"\b(bearer\s+)[^\s\"',;}\]]+", re.IGNORECASE)
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/\s@\"'<>]+@", re.IGNORECASE)
_PLAIN = (str, int, float, bool, type(None))
_TRACEBACKS = logging.Formatter()


def settings_secrets(settings: BaseModel) -> list[str]:
    """The values of every `SecretStr` field of `settings` (empty ones left out)."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [v.get_secret_value() for v in values if isinstance(v, SecretStr) and v.get_secret_value()]


def add_secrets(*values: str) -> None:
    """Register secrets that `redact` removes from now on (empty values are ignored)."""
    global _secrets
    with _lock:
        known = set(_secrets) | {v for v in values if v}
        _secrets = tuple(sorted(known, key=len, reverse=True))  # longest first: one may contain another


def _mask_literal(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, MASK)
    return text


def _decoded_run(m: re.Match[str]) -> str:
    """A percent-encoded word that decodes to something holding a secret: shown decoded and masked."""
    run = decoded = m.group(0)
    if "%" not in run:
        return run
    for _ in range(3):  # double encoding (%2573) too
        decoded, previous = unquote(decoded), decoded
        if any(s in decoded for s in _secrets):
            return _mask_literal(decoded)
        if decoded == previous:
            break
    return MASK if any(s in unquote_plus(run) for s in _secrets) else run


def _param(m: re.Match[str]) -> str:
    name = unquote_plus(m.group(2)).strip().lower()
    return f"{m.group(1)}{m.group(2)}={MASK}" if name in SECRET_PARAMS else m.group(0)


def redact(text: str) -> str:
    """`text` without registered secrets, credential query values, Bearer tokens or URL passwords."""
    text = _mask_literal(text)
    if "%" in text and _secrets:
        text = _WORD.sub(_decoded_run, text)
    if "=" in text:
        text = _PARAM.sub(_param, text)
    text = _BEARER.sub(rf"\g<1>{MASK}", text)
    return _USERINFO.sub(rf"\g<1>{MASK}@", text)


def _redact_arg(arg: Any) -> Any:
    if isinstance(arg, str):
        return redact(arg)
    if isinstance(arg, _PLAIN):
        return arg  # numbers keep their type: %d still formats them
    shown = str(arg)
    clean = redact(shown)
    return arg if clean == shown else clean


class RedactFilter(logging.Filter):
    """Removes secrets from a record's message, arguments, traceback and stack; never drops a record.

    Arguments are redacted one by one so that formatters that read them (uvicorn's access log) still work.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place."""
        if not isinstance(record.msg, str):
            record.msg = _redact_arg(record.msg)
        elif record.args:  # a %-template: only literal secrets, so that `token=%s` keeps its placeholder
            record.msg = _mask_literal(record.msg)
        else:
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's to report
            message = ""
        clean = redact(message)
        if clean != message:  # a secret formed only once message and arguments were put together
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)  # formatters reuse exc_text
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def protect(*targets: logging.Handler | logging.Logger) -> None:
    """Attach a `RedactFilter` to each handler or logger (once)."""
    for target in targets:
        if not any(isinstance(f, RedactFilter) for f in target.filters):
            target.addFilter(RedactFilter())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration (console handlers) with `RedactFilter` on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": RedactFilter}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    return config
