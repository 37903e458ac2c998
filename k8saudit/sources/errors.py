"""Errors from talking to a cluster, turned into one line a user can act on.

:func:`describe_error` knows the errors of urllib3, ssl, the kubernetes client
(``ApiException``, ``ConfigException``) and the socket layer; it returns None
for anything else, which is a bug and should keep its traceback.
"""

from __future__ import annotations

import re
import ssl
from typing import Any

import msgspec
import urllib3.exceptions as u3

try:  # the kubernetes client is a dependency, but keep this module importable without it
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
except ImportError:  # pragma: no cover
    ApiException = ConfigException = ()  # type: ignore[assignment,misc]

__all__ = ["describe_error", "status_message", "server_of"]

_STATUS_WORDS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _Status(msgspec.Struct):
    message: str | None = None
    reason: str | None = None


def status_message(body: bytes | str | None) -> str:
    """The ``message`` of a Kubernetes ``Status`` body, or the body's first line."""
    if not body:
        return ""
    raw = body.encode() if isinstance(body, str) else body
    try:
        st = msgspec.json.decode(raw, type=_Status)
        if st.message:
            return st.message
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    text = raw.decode("utf-8", "replace").strip()
    return _one_line(text)[:200]


def server_of(exc: BaseException) -> str | None:
    """``host:port`` an urllib3 error was about, when it says."""
    src = exc.conn if isinstance(exc, u3.NewConnectionError) else getattr(exc, "pool", None)
    host = getattr(src, "host", None)
    if not host:
        return None
    port = getattr(src, "port", None)
    return f"{host}:{port}" if port else str(host)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _socket_cause(text: str) -> str:
    """'[Errno 111] Connection refused' → 'connection refused'."""
    m = re.search(r"\[Errno -?\d+\]\s*(.+?)\)?['\"]?\)?$", text)
    cause = m.group(1) if m else text
    return cause[:1].lower() + cause[1:] if cause else text


def _tls(text: str) -> str:
    text = re.sub(r"^SSLError\s*", "", text.strip())
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", text)
    m = re.search(r"\[SSL[^\]]*\]\s*(.+)", text)
    return _one_line(m.group(1) if m else text)


def describe_error(exc: BaseException, server: str | None = None) -> str | None:
    """One line naming the server and the cause; None for an error that is a bug.

    ``server`` (the API server's URL) is named when given, else the host and
    port the error itself mentions.
    """
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        inner = describe_error(exc.reason, server)
        return inner if inner is not None else _one_line(str(exc))
    where = server or server_of(exc)
    api = f"the API server {where}" if where else "the API server"
    if isinstance(exc, u3.NameResolutionError):
        return f"cannot resolve the host of {api}: {_socket_cause(_one_line(str(exc)))}"
    if isinstance(exc, u3.NewConnectionError):
        return f"cannot connect to {api}: {_socket_cause(_one_line(str(exc)))}"
    if isinstance(exc, u3.ConnectTimeoutError):
        return f"timed out connecting to {api}"
    if isinstance(exc, u3.ReadTimeoutError):
        m = re.search(r"read timeout=([\d.]+)", str(exc))
        after = f" after {float(m.group(1)):.0f}s" if m else ""
        return f"{api} did not answer{after} (request timed out)"
    if isinstance(exc, (u3.SSLError, ssl.SSLError)):
        return f"TLS failure talking to {api}: {_tls(str(exc))}"
    if isinstance(exc, u3.ProtocolError):
        return f"the connection to {api} broke: {_socket_cause(_one_line(str(exc)))}"
    if isinstance(exc, u3.LocationValueError):
        return f"the API server address is not a valid URL: {_one_line(str(exc))}"
    if isinstance(exc, u3.HTTPError):
        return f"HTTP error talking to {api}: {_one_line(str(exc))}"
    if isinstance(exc, ApiException):
        return _describe_api(exc, api)
    if isinstance(exc, ConfigException):
        return f"kubeconfig: {_one_line(str(exc))}"
    if isinstance(exc, ConnectionError):
        return f"the connection to {api} failed: {_socket_cause(_one_line(str(exc)))}"
    return None


def _describe_api(exc: Any, api: str) -> str:
    status = int(exc.status or 0)
    reason = str(exc.reason or "")
    if status == 0:
        if reason.startswith("SSLError"):
            return f"TLS failure talking to {api}: {_tls(reason)}"
        return f"request to {api} failed: {_one_line(reason)}" if reason else f"request to {api} failed"
    msg = status_message(exc.body)
    word = _STATUS_WORDS.get(status, reason)
    if status == 401:
        return f"{api} rejected the credentials (401 Unauthorized){': ' + msg if msg else ''}"
    return f"{api} answered {status} {word}{': ' + msg if msg else ''}"
