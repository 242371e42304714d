"""In the hall: the address participants' devices reach, the join link and its QR code.

The app often runs on the facilitator's laptop with no internet. The join link must carry an
address the tablets can reach: the public URL the facilitator set, else the address the
facilitator's own browser used, else a detected LAN address. Nothing here sends traffic.
"""

from __future__ import annotations

import io
import ipaddress
import socket
import struct
from urllib.parse import urlencode, urlsplit

import segno

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}  # noqa: S104 - a set of names, binds nothing


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine's network interfaces, loopback excluded (Linux ioctl)."""
    found: list[str] = []
    try:
        import fcntl

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _index, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))  # SIOCGIFADDR
                except OSError:
                    continue
                addr = socket.inet_ntoa(packed[20:24])
                if not ipaddress.ip_address(addr).is_loopback:
                    found.append(addr)
    except (ImportError, OSError):
        pass
    if not found:
        try:
            for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
                addr = info[4][0]
                if not ipaddress.ip_address(addr).is_loopback and addr not in found:
                    found.append(addr)
        except OSError:
            pass
    # Private (LAN) addresses first: that is where the tablets are.
    return sorted(found, key=lambda a: (not ipaddress.ip_address(a).is_private, a))


def is_local(url: str) -> bool:
    """True when a link would point at this machine only (other devices cannot open it)."""
    host = urlsplit(url).hostname or ""
    if host in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.endswith(".localhost")


def base_url(
    public_url: str | None,
    browser_host: str | None,
    *,
    port: int = 8501,
    base_path: str = "",
    scheme: str = "http",
) -> str:
    """The best base address for the join link (see the module docstring for the order).

    ``port`` and ``base_path`` are the server's own (``server.port``, ``server.baseUrlPath``): a
    browser's Host header carries the port it used, a detected LAN address does not.
    """
    if public_url:
        return public_url.rstrip("/")
    path = "/" + base_path.strip("/") if base_path.strip("/") else ""
    if browser_host and not is_local(f"{scheme}://{browser_host}"):
        return f"{scheme}://{browser_host}{path}"
    lan = lan_addresses()
    if lan:
        return f"{scheme}://{lan[0]}:{port}{path}"
    return f"{scheme}://{browser_host or f'localhost:{port}'}{path}"


def listens_on_loopback(address: str | None) -> bool:
    """True when the server is bound to this machine only (``--server.address 127.0.0.1``): no
    other device can reach it, whatever the join link says. Unset or 0.0.0.0 means every interface."""
    if not address or address in ("0.0.0.0", "::"):  # noqa: S104 - names compared, nothing bound
        return False
    if address == "localhost" or address.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def join_url(base: str, code: str, *, kiosk: bool = False, lang: str | None = None) -> str:
    query = {"code": code}
    if kiosk:
        query["kiosk"] = "1"
    if lang:
        query["lang"] = lang
    return f"{base.rstrip('/')}/?{urlencode(query)}"


def desk_url(base: str, key: str, lang: str) -> str:
    """A language mediator's link to the translation desk; its screen speaks the target language
    (German for Leichte Sprache, which is written by German speakers)."""
    return f"{base.rstrip('/')}/?{urlencode({'desk': key, 'lang': 'de' if lang == 'ls' else lang})}"


def entry_url(base: str, key: str, lang: str | None = None) -> str:
    """A link for staff entering paper ballots (``services.create_entry_key``); ``lang`` the
    language its screen opens in."""
    params = {"entry": key} | ({"lang": lang} if lang else {})
    return f"{base.rstrip('/')}/?{urlencode(params)}"


def camera_allowed(url: str | None) -> bool:
    """Whether a browser lets the page at ``url`` use the camera: https, or this computer itself
    (a secure context); the hall's plain http address is neither."""
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.hostname or "") in ("localhost", "127.0.0.1", "::1")


def read_qr(image: bytes) -> str | None:
    """The text of the first QR code in a photo (a paper ballot held to a laptop's camera), or
    None where there is none or the picture is no image. Read locally (zxing-cpp), no network."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        picture = Image.open(io.BytesIO(image))
        picture.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    found = zxingcpp.read_barcodes(picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return found[0].text if found else None


def qr_png(data: str, scale: int = 10) -> bytes:
    """A QR code as PNG, generated locally (segno, no network)."""
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="png", scale=scale, border=2, dark="#000", light="#fff")
    return buf.getvalue()


def qr_svg(data: str, scale: int = 8) -> str:
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buf.getvalue().decode()
