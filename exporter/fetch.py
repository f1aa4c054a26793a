"""The one network door: every page, feed and image is fetched here, safely and once.

Why it is careful: a URL in a feed or a manifest is untrusted. Left alone, it could make
us read `http://169.254.169.254/` (cloud credentials), a router's admin page or a service
on localhost, or stream gigabytes. So each hop is resolved once, every address it
resolves to must be public, and the connection goes to that checked address (Host header
and TLS SNI keep the name), which closes the DNS-rebinding gap between check and
connect. Redirects are followed by hand so each hop is checked again.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from . import fetch_cache
from .errors import FetchError
from .fetch_limits import ACCEPT_ENCODING, CorruptBody, TooLarge, UnknownEncoding, decoded, transport_with_deadline

USER_AGENT = ("Mozilla/5.0 (compatible; exporter/0.1; +https://github.com/exporter/exporter) "
              "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36")
DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Fetched:
    url: str  # final URL, after redirects
    content: bytes
    content_type: str  # the Content-Type header as sent, "" if none


def fetch(url: str, *, allow_private: bool = False, max_bytes: int = 20 * 2**20,
          accept: str | None = None, timeout: float = 20.0, cache: bool = True) -> Fetched:
    """GET `url` (http/https only), following at most 5 redirects, each one checked.

    `timeout` bounds each read (connect: at most 10 s); the whole fetch, headers and
    redirect hops included, is bounded by three times that. The body may be at most
    `max_bytes` once decoded (decompression stops there). Raises FetchError naming the
    URL on any refusal or failure.
    """
    hit = fetch_cache.load(url, accept) if cache else None
    if hit is not None and hit.private and not allow_private:
        hit = None
    if hit is not None and hit.fresh():
        return Fetched(hit.url, hit.content, hit.content_type)
    conditional = hit.validators() if hit is not None and not fetch_cache.refreshing() else {}
    limits = httpx.Timeout(timeout, connect=min(10.0, timeout))
    deadline = time.monotonic() + 3 * timeout
    current, private = url, False
    # trust_env=False: a proxy from the environment would connect on our behalf and
    # bypass the address check.
    with httpx.Client(timeout=limits, trust_env=False, follow_redirects=False,
                      transport=transport_with_deadline(deadline)) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target, private_hop = _checked_target(current, allow_private)
            private = private or private_hop
            status, location, headers, content = _get(
                client, current, target, accept, max_bytes, deadline, conditional)
            if status in _REDIRECTS and location:
                current = urljoin(current, location)
                continue
            if status >= 400:
                raise FetchError(url, f"HTTP {status} from {current}")
            if status == 304 and hit is not None:  # unchanged: keep the body, renew the expiry
                current, content, private = hit.url, hit.content, hit.private
                headers = httpx.Headers({"content-type": hit.content_type, **headers})
            content_type = headers.get("content-type", "")
            entry = fetch_cache.entry(current, content, content_type, private, headers)
            if cache and status in (200, 304) and entry is not None:
                fetch_cache.store(url, accept, entry)
            return Fetched(current, content, content_type)
    raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")


def address_allowed(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback
                                 or ip.is_link_local or ip.is_private or ip.is_unspecified)


def _checked_target(url: str, allow_private: bool) -> tuple[httpx.URL, bool]:
    """The URL rewritten to the one resolved address we will connect to.

    Returns (target, private): private is True when the address is not public (only
    possible with allow_private). Every address the name resolves to must pass, so a
    name cannot mix a public and a private answer.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as err:
        raise FetchError(url, f"not a valid URL ({err})") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(url, "only http and https URLs can be fetched")
    if not parsed.host:
        raise FetchError(url, "the URL has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parsed.host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as err:
        raise FetchError(url, f"cannot resolve {parsed.host} ({err})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(url, f"cannot resolve {parsed.host}")
    refused = [a for a in addresses if not address_allowed(a)]
    if refused and not allow_private:
        raise FetchError(url, f"refused: {parsed.host} resolves to the private or reserved "
                              f"address {refused[0]} (use --allow-private to permit)")
    return parsed.copy_with(host=addresses[0]), bool(refused)


def _get(client: httpx.Client, url: str, target: httpx.URL, accept: str | None,
         max_bytes: int, deadline: float,
         conditional: dict[str, str]) -> tuple[int, str | None, httpx.Headers, bytes]:
    """One GET to the checked address: (status, Location, response headers, body)."""
    named = httpx.URL(url)
    headers = {"Host": named.netloc.decode("ascii"), "User-Agent": USER_AGENT,
               "Accept": accept or DEFAULT_ACCEPT, "Accept-Encoding": ACCEPT_ENCODING, **conditional}
    extensions = {"sni_hostname": named.host} if named.scheme == "https" else {}
    try:
        with client.stream("GET", target, headers=headers, extensions=extensions) as response:
            if response.status_code in _REDIRECTS:
                return response.status_code, response.headers.get("location"), response.headers, b""
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(url, f"larger than {max_bytes} bytes ({declared} declared)")
            chunks = []
            encoding = response.headers.get("content-encoding", "")
            for chunk in decoded(response.iter_raw(), encoding, max_bytes):
                if time.monotonic() > deadline:
                    raise FetchError(url, "took too long to download")
                chunks.append(chunk)
            return response.status_code, None, response.headers, b"".join(chunks)
    except TooLarge:
        raise FetchError(url, f"larger than {max_bytes} bytes") from None
    except UnknownEncoding as err:
        raise FetchError(url, f"sent in an encoding not asked for ({err})") from None
    except CorruptBody as err:
        raise FetchError(url, f"a corrupt compressed body ({err})") from None
    except httpx.TimeoutException:
        raise FetchError(url, "timed out") from None
    except httpx.HTTPError as err:
        raise FetchError(url, f"{type(err).__name__}: {err}") from None
