"""An HTTP client for the Stripe SDK that bounds a whole API call by wall-clock time.

The SDK's own clients (requests, urllib) apply their timeout to each socket
read, so an API that trickles a byte every few seconds holds a web worker
until gunicorn kills it and the reader gets a bare error page. Here every
connect, write and read of one call — the SDK's retries included — gets only
the time left before one deadline: SAMIZDAT_PROVIDER_TIMEOUT seconds after the
call began, and never later than SAMIZDAT_PROVIDER_REQUEST_SECONDS after the
web request began (a plan change makes three calls; together they still end
well inside gunicorn's timeout).

At most SAMIZDAT_PROVIDER_CONCURRENCY calls wait on the provider at once in one
process (default 2); a donor beyond them gets the "slow" page at once (after
SLOT_WAIT, 0.2 s) instead of holding a worker thread for the whole timeout, so
webhooks and readers never queue behind hung checkouts (with gunicorn's gthread
workers, 4 threads each, half the threads of every process stay free).

Standard library HTTP (http.client), one connection per call. An HTTPS proxy
from the environment (HTTPS_PROXY, NO_PROXY) is used as the SDK's default
client would.
"""

import http.client
import io
import socket
import ssl
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from requests.structures import CaseInsensitiveDict  # the SDK depends on requests

from .base import ProviderError, ProviderTimeout

_request = threading.local()  # when the current web request's provider budget ends
SLOT_WAIT = 0.2  # seconds a call waits for one of the process's provider slots
_slots_lock = threading.Lock()
_slots = {}  # {limit: BoundedSemaphore}, one per process (threads share it)


def _provider_slots():
    """The process's semaphore for SAMIZDAT_PROVIDER_CONCURRENCY calls, or None (no limit)."""
    limit = int(getattr(settings, "SAMIZDAT_PROVIDER_CONCURRENCY", 2))
    if limit <= 0:
        return None
    with _slots_lock:
        return _slots.setdefault(limit, threading.BoundedSemaphore(limit))


class DeadlineExceeded(stripe.APIConnectionError):
    """The provider did not finish answering in the time one call may take."""


def provider_error(exc):
    """The reader-facing error for an SDK error: "slow" for a deadline, else "unreachable"."""
    return ProviderTimeout() if isinstance(exc, DeadlineExceeded) else ProviderError()


def request_seconds():
    return float(getattr(settings, "SAMIZDAT_PROVIDER_REQUEST_SECONDS", 20))


def start_request_budget(sender=None, **kwargs):
    """request_started: the provider calls of one web request share one budget."""
    _request.ends = time.monotonic() + request_seconds()


def end_request_budget(sender=None, **kwargs):
    _request.ends = None


class _DeadlineReader(socket.SocketIO):
    """A socket's reads, each given only the time left before the deadline.

    A SocketIO, so the socket counts it as an open reader: http.client closes the
    connection as soon as it has the headers of a "Connection: close" answer, and
    the socket must stay open until the body is read.
    """

    def __init__(self, sock, deadline):
        super().__init__(sock, "rb")
        self.deadline = deadline

    def readinto(self, buffer):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the provider's answer did not arrive in time")
        self._sock.settimeout(remaining)
        return super().readinto(buffer)


class _DeadlineSocket:
    """The three things http.client does with a connected socket, under the deadline."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline

    def makefile(self, mode="rb", *args, **kwargs):
        self.sock._io_refs += 1  # as socket.makefile does; released by SocketIO.close
        return io.BufferedReader(_DeadlineReader(self.sock, self.deadline))

    def sendall(self, data):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request could not be sent in time")
        self.sock.settimeout(remaining)  # bounds the whole sendall (Python >= 3.5)
        self.sock.sendall(data)

    def close(self):
        self.sock.close()


def _bounded(base):
    class Connection(base):
        def __init__(self, *args, deadline, **kwargs):
            self.deadline = deadline
            super().__init__(*args, timeout=max(0.001, deadline - time.monotonic()), **kwargs)

        def connect(self):
            super().connect()
            self.sock = _DeadlineSocket(self.sock, self.deadline)

    return Connection


_HTTPConnection = _bounded(http.client.HTTPConnection)
_HTTPSConnection = _bounded(http.client.HTTPSConnection)


class DeadlineHTTPClient(stripe.HTTPClient):
    name = "samizdat-deadline"

    def __init__(self, timeout, **kwargs):
        super().__init__(**kwargs)
        self.timeout = float(timeout)

    # One deadline per SDK call, retries included.
    def request_with_retries(self, *args, **kwargs):
        return self._within_deadline(super().request_with_retries, *args, **kwargs)

    def request_stream_with_retries(self, *args, **kwargs):
        return self._within_deadline(super().request_stream_with_retries, *args, **kwargs)

    def _within_deadline(self, call, *args, **kwargs):
        deadline = time.monotonic() + self.timeout
        ends = getattr(_request, "ends", None)
        deadline = min(deadline, ends) if ends else deadline
        slots = _provider_slots()
        if slots is not None and not slots.acquire(
                timeout=max(0.0, min(SLOT_WAIT, deadline - time.monotonic()))):
            raise DeadlineExceeded(
                "Too many calls are already waiting for the payment provider.",
                should_retry=False)
        self._thread_local.deadline = deadline
        try:
            return call(*args, **kwargs)
        finally:
            self._thread_local.deadline = None
            if slots is not None:
                slots.release()

    def _deadline(self):
        deadline = getattr(self._thread_local, "deadline", None)
        return deadline if deadline is not None else time.monotonic() + self.timeout

    def _should_retry(self, response, api_connection_error, num_retries, max_network_retries):
        # A retry first waits 0.5-1 s (the SDK's back-off): not worth it with less left.
        if self._deadline() - time.monotonic() < 2 * self.INITIAL_DELAY:
            return False
        return super()._should_retry(response, api_connection_error, num_retries,
                                     max_network_retries)

    def request(self, method, url, headers, post_data=None):
        deadline = self._deadline()
        if deadline <= time.monotonic():
            raise DeadlineExceeded("The payment provider did not answer in time.",
                                   should_retry=False)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = post_data.encode() if isinstance(post_data, str) else post_data
        conn = self._connection(parts, deadline)
        try:
            conn.request(method.upper(), path, body=body, headers=dict(headers or {}))
            response = conn.getresponse()
            content = response.read()
            return content, response.status, CaseInsensitiveDict(response.getheaders())
        except TimeoutError as exc:
            raise DeadlineExceeded(
                f"The payment provider did not answer within {self.timeout:g} s "
                f"(Network error: {exc})", should_retry=True) from exc
        except ssl.SSLCertVerificationError as exc:
            raise stripe.APIConnectionError(
                f"Could not verify the payment provider's certificate: {exc}",
                should_retry=False) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise stripe.APIConnectionError(
                f"Could not reach the payment provider (Network error: "
                f"{type(exc).__name__}: {exc})", should_retry=True) from exc
        finally:
            conn.close()

    def request_stream(self, method, url, headers, post_data=None):
        content, status, response_headers = self.request(method, url, headers, post_data)
        return io.BytesIO(content), status, response_headers

    def _connection(self, parts, deadline):
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        if not https:  # an emulator on loopback
            return _HTTPConnection(parts.hostname, port, deadline=deadline)
        context = ssl.create_default_context(
            cafile=stripe.ca_bundle_path if self._verify_ssl_certs else None)
        if not self._verify_ssl_certs:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        proxy = (not urllib.request.proxy_bypass(parts.hostname)
                 and urllib.request.getproxies().get("https"))
        if proxy:
            proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            conn = _HTTPSConnection(proxy_parts.hostname, proxy_parts.port or 80,
                                    deadline=deadline, context=context)
            conn.set_tunnel(parts.hostname, port)
            return conn
        return _HTTPSConnection(parts.hostname, port, deadline=deadline, context=context)

    def close(self):
        pass  # no connection outlives its call
