"""SIP guests' addresses: parse and validate a SIP URI, mask it, check the caller name.

Twilio dials a SIP endpoint when a create-call's `To` is a SIP URI "under 255 characters"
(`sip:alice@pbx.example.com`, optionally `:port` and `;parameters`), and then `From` is not a
caller ID but "the user you want to show up in the From header". No well-kept Python library
parses SIP URIs alone (the SIP packages on PyPI are whole stacks, or unmaintained), so this is a
small strict parser of the part of RFC 3261's grammar Twilio takes: what it refuses, Twilio
would refuse too (or dial somewhere the host did not mean), and every refusal is one sentence
the host can act on. Masking lives in `redaction`, with the masking of numbers.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from moderator.core.redaction import is_sip_address, mask_sip_uri

__all__ = [
    "MAX_CALLER_NAME_LENGTH",
    "MAX_URI_LENGTH",
    "SipAuth",
    "SipUri",
    "SipUriError",
    "caller_name_problem",
    "is_sip_address",
    "mask",
    "parse",
    "problem",
]

#: Twilio: "a valid SIP URI under 255 characters".
MAX_URI_LENGTH = 254
#: The From header's user part; Twilio sets no figure, and a name a person reads is short.
MAX_CALLER_NAME_LENGTH = 64

# RFC 3261 `user`: unreserved, escaped, user-unreserved; no ":" (that would start a password).
_USER = re.compile(r"^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# RFC 3261 `pname` / `pvalue`: paramchar = param-unreserved / unreserved / escaped.
_PARAM_TOKEN = re.compile(r"^(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]|%[0-9A-Fa-f]{2})+$")
_TRANSPORTS = frozenset({"udp", "tcp", "tls"})
# The From user: unreserved characters and "+" (E.164-looking names are fine), no blanks.
_CALLER_NAME = re.compile(r"^[A-Za-z0-9\-_.!~*'()+]+$")


class SipUriError(ValueError):
    """Input that is not a SIP URI Twilio can dial; `str()` is a message for the host."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class SipUri:
    """A parsed SIP URI. `str()` gives it back as Twilio receives it (scheme and host in lower
    case, the user part as typed: it is case-sensitive). `repr` shows it masked, so a SipUri in
    a traceback or a log line never names the guest."""

    scheme: str  # "sip" or "sips"
    user: str
    host: str
    port: int | None = None
    params: tuple[tuple[str, str | None], ...] = ()

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        params = "".join(f";{k}" if v is None else f";{k}={v}" for k, v in self.params)
        return f"{self.scheme}:{self.user}@{self.host}{port}{params}"

    def __repr__(self) -> str:
        return f"SipUri({self.masked!r})"

    @property
    def masked(self) -> str:
        """`sip:•••@pbx.example.com`: the host only, for the screen, the journal and logs."""
        return mask_sip_uri(str(self))


@dataclass(frozen=True, slots=True)
class SipAuth:
    """A SIP guest's digest credentials, without the password: the password is asked for each
    dial, or (`remember`) kept only in the OS keyring (`sip_passwords`). A guest keeps this for
    its redial, in memory only."""

    username: str
    remember: bool = False


def parse(text: str) -> SipUri:
    """Parse a SIP URI as typed, or raise SipUriError saying what is wrong with it.

    Surrounding blanks are dropped (pasted text often has them); anything else is taken as is.
    """
    uri = text.strip()
    if not uri:
        raise SipUriError("Enter a SIP address, e.g. sip:alice@pbx.example.com.")
    if len(uri) > MAX_URI_LENGTH:
        raise SipUriError(f"A SIP address must be under 255 characters; this one has {len(uri)}.")
    if any(ch.isspace() for ch in uri):
        raise SipUriError("A SIP address cannot contain spaces.")
    if not uri.isascii():
        raise SipUriError(
            "A SIP address can only hold ASCII characters; percent-encode others (é is %C3%A9)."
        )
    scheme, colon, rest = uri.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in ("sip", "sips"):
        raise SipUriError("A SIP address starts with sip: or sips:.")
    if "?" in rest.partition("@")[2]:
        raise SipUriError("Custom SIP headers (after “?”) are not supported; remove them.")
    if rest.count("@") > 1:
        raise SipUriError("A SIP address has a single @; write any other @ as %40.")
    user, at, hostport = rest.partition("@")
    if not at or not user:
        raise SipUriError(
            "Add the user before the host, e.g. sip:alice@pbx.example.com: Twilio cannot "
            "call a domain without a user."
        )
    if ":" in user:
        raise SipUriError(
            "Remove the password from the address: type it in the SIP password field instead."
        )
    if not _USER.match(user):
        raise SipUriError(
            "The user part (before the @) has a character a SIP address cannot hold; "
            "percent-encode it (e.g. # as %23)."
        )
    host_and_port, *param_texts = hostport.split(";")
    host, port = _host_and_port(host_and_port)
    params = tuple(_param(p) for p in param_texts)
    names = [name for name, _ in params]
    if len(set(names)) != len(names):
        raise SipUriError("A URI parameter appears twice; keep one of each.")
    return SipUri(scheme, user, host, port, params)


def problem(text: str) -> str | None:
    """Why `text` is not a SIP URI Twilio can dial, or None when it is."""
    try:
        parse(text)
    except SipUriError as exc:
        return exc.message
    return None


def mask(uri: str) -> str:
    """`sip:•••@pbx.example.com`: the host tells guests' PBXes apart; the user stays private."""
    return mask_sip_uri(uri)


def caller_name_problem(name: str) -> str | None:
    """Why `name` cannot be the user of a SIP call's From header, or None when it can."""
    if not name:
        return "Enter the caller name the guest's phone shows (the SIP From user)."
    if len(name) > MAX_CALLER_NAME_LENGTH:
        return f"The caller name is too long: at most {MAX_CALLER_NAME_LENGTH} characters."
    if any(ch.isspace() for ch in name):
        return "The caller name cannot contain spaces (e.g. write Front-Desk)."
    if not _CALLER_NAME.match(name):
        return "The caller name can hold letters, digits and - _ . ! ~ * ' ( ) + only."
    return None


def _host_and_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        address, bracket, after = text[1:].partition("]")
        if not bracket:
            raise SipUriError("An IPv6 host needs its closing bracket, e.g. [2001:db8::1].")
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise SipUriError(f"[{address}] is not a valid IPv6 address.") from None
        host, port_text = f"[{address.lower()}]", after
        if port_text and not port_text.startswith(":"):
            raise SipUriError("Only a :port may follow the host.")
        port_text = port_text[1:] if port_text else ""
        has_port = bool(after)
    else:
        host, has_colon, port_text = text.partition(":")
        has_port = bool(has_colon)
        host = host.lower()
        _check_host(host)
    if not has_port:
        return host, None
    if not port_text.isdigit() or not port_text.isascii():
        raise SipUriError("The port after the host must be a number, e.g. :5060.")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise SipUriError("The port must be between 1 and 65535.")
    return host, port


def _check_host(host: str) -> None:
    if not host:
        raise SipUriError("Add the host after the @, e.g. sip:alice@pbx.example.com.")
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise SipUriError(f"{host} is not a valid IPv4 address.") from None
        return
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise SipUriError(
            "The host is not a valid domain name or IP address (letters, digits, - and dots)."
        )
    if labels[-1].isdigit():
        raise SipUriError("The host is not a valid domain name: its last part is a number.")


def _param(text: str) -> tuple[str, str | None]:
    name, equals, value = text.partition("=")
    if not name or not _PARAM_TOKEN.match(name) or (equals and not _PARAM_TOKEN.match(value)):
        raise SipUriError(
            "A URI parameter is malformed; write them as ;name=value (e.g. ;transport=tls)."
        )
    name = name.lower()
    if name == "transport" and value.lower() not in _TRANSPORTS:
        raise SipUriError("The transport parameter must be udp, tcp or tls.")
    return name, (value if equals else None)
