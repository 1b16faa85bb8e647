"""HTTP-style authentication for RTSP and HTTP probes: pure parsing and answer building, no I/O.

``WWW-Authenticate`` parsing follows RFC 7235 s4.1 (``1#challenge``, each challenge an
``auth-scheme`` followed by a ``token68`` or a comma-separated list of ``auth-param``), which also
governs RTSP (RFC 2326 s12.44 borrows HTTP's header). Devices send all sorts of broken values, so
the parser is best-effort: whatever it cannot understand is dropped, and it never raises.

Answers: Basic per RFC 7617, Digest per RFC 7616 (SHA-256, ``-sess`` variants, ``qop=auth``) and
RFC 2617 / RFC 2069 (MD5 with and without ``qop``). ``qop=auth-int`` is not supported because it
hashes the request body, which our probes never send in a form worth signing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from scanner.models import AuthScheme

__all__ = [
    "AuthError",
    "Challenge",
    "answerable",
    "basic_authorization",
    "digest_authorization",
    "parse_www_authenticate",
    "scheme_of",
    "strongest",
]


class AuthError(Exception):
    """A challenge this module cannot answer (unsupported algorithm or qop, missing nonce) or a
    credential that cannot be put on the wire (a CR/LF, or a ``:`` in a Basic user-id)."""


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge. ``params`` keys are lower case (RFC 7235 s2.1: parameter names are
    case-insensitive); values are the unquoted device text. ``name`` is the scheme token as sent,
    lower-cased, so that schemes we do not model (``Bearer``, ``Negotiate``) stay visible."""

    scheme: AuthScheme
    realm: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    name: str = ""
    token68: str | None = None


# RFC 7230 s3.2.6: tchar.
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# RFC 7235 s2.1: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_TOKEN68 = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/")
_WS = " \t"

# Bounds for hostile headers: a real device sends one to three challenges with under ten params.
_MAX_VALUE_CHARS = 16 * 1024
_MAX_CHALLENGES = 32
_MAX_PARAMS = 64


def scheme_of(name: str) -> AuthScheme:
    """Map a scheme token to our enum; scheme names are case-insensitive (RFC 7235 s2.1)."""
    lowered = name.lower()
    if lowered == "basic":
        return AuthScheme.BASIC
    if lowered == "digest":
        return AuthScheme.DIGEST
    return AuthScheme.UNKNOWN


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def _read_token(s: str, i: int) -> tuple[str, int]:
    j = i
    while j < len(s) and s[j] in _TCHAR:
        j += 1
    return s[i:j], j


def _read_quoted(s: str, i: int) -> tuple[str, int]:
    """``s[i]`` is the opening quote. RFC 7230 s3.2.6: quoted-pair is backslash + one char.
    An unterminated string runs to the end (best effort: devices truncate headers)."""
    out: list[str] = []
    j = i + 1
    while j < len(s):
        ch = s[j]
        if ch == "\\" and j + 1 < len(s):
            out.append(s[j + 1])
            j += 2
            continue
        if ch == '"':
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    return "".join(out), j


def _read_value(s: str, i: int) -> tuple[str | None, int]:
    i = _skip_ws(s, i)
    if i < len(s) and s[i] == '"':
        return _read_quoted(s, i)
    # RFC 7235 says token; devices also send unquoted values with '/', ':' or '@' in them
    # (realm=IPCamera@host), so accept anything up to a separator rather than drop the param.
    j = i
    while j < len(s) and s[j] not in ", \t":
        j += 1
    return (s[i:j] if j > i else None), j


def _skip_to_comma(s: str, i: int) -> int:
    """Skip junk after an element up to the next top-level comma, stepping over quoted strings
    so a comma inside quotes never splits an element."""
    while i < len(s) and s[i] != ",":
        if s[i] == '"':
            _, i = _read_quoted(s, i)
        else:
            i += 1
    return i


def _token68_at(s: str, i: int) -> tuple[str, int] | None:
    """A token68 that fills the element (up to a comma or the end), else None. Tried only
    right after a scheme, as RFC 7235 s2.1 allows it only there."""
    j = i
    while j < len(s) and s[j] in _TOKEN68:
        j += 1
    if j == i:
        return None
    while j < len(s) and s[j] == "=":
        j += 1
    end = _skip_ws(s, j)
    if end < len(s) and s[end] != ",":
        return None
    # "realm=" with nothing after it reads as a token68 here; an auth-param needs a value, so
    # this is the only grammatical reading.
    return s[i:j], end


@dataclass(slots=True)
class _Building:
    name: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None


def _parse_one(value: str, out: list[_Building]) -> None:
    s = value[:_MAX_VALUE_CHARS]
    i = 0
    current: _Building | None = None
    while i < len(s) and len(out) <= _MAX_CHALLENGES:
        while i < len(s) and (s[i] in _WS or s[i] == ","):
            i += 1
        if i >= len(s):
            break
        tok, j = _read_token(s, i)
        if not tok:
            i = _skip_to_comma(s, i + 1)
            continue
        k = _skip_ws(s, j)
        if k < len(s) and s[k] == "=":
            # auth-param of the current challenge (RFC 7235 s2.1: token BWS "=" BWS value).
            val, k2 = _read_value(s, k + 1)
            if current is not None and val is not None and len(current.params) < _MAX_PARAMS:
                # Each parameter name MUST occur once per challenge (RFC 7235 s2.1); when a
                # device repeats one, the first wins so a later copy cannot override it.
                current.params.setdefault(tok.lower(), val)
            i = _skip_to_comma(s, k2)
            continue
        # A token not followed by "=" starts a new challenge: the auth-scheme.
        current = _Building(tok)
        out.append(current)
        i = j
        if i < len(s) and s[i] in _WS:
            found = _token68_at(s, _skip_ws(s, i))
            if found is not None:
                current.token68, i = found


def parse_www_authenticate(values: Iterable[str]) -> list[Challenge]:
    """Every challenge in every ``WWW-Authenticate`` value, in order. Never raises."""
    building: list[_Building] = []
    for value in values:
        if not isinstance(value, str):
            continue
        _parse_one(value, building)
        if len(building) > _MAX_CHALLENGES:
            break
    return [
        Challenge(
            scheme=scheme_of(b.name),
            realm=b.params.get("realm"),
            params=dict(b.params),
            name=b.name.lower(),
            token68=b.token68,
        )
        for b in building[:_MAX_CHALLENGES]
    ]


# --- answers -------------------------------------------------------------------------------


def _md5(data: bytes) -> str:
    # MD5 is what RFC 2617 / RFC 7616 mandate for this algorithm, not our choice of hash.
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# RFC 7616 s3.3 / s6.1: the algorithm names are case-insensitive.
_ALGORITHMS: dict[str, tuple[str, Callable[[bytes], str], bool]] = {
    "md5": ("MD5", _md5, False),
    "md5-sess": ("MD5-sess", _md5, True),
    "sha-256": ("SHA-256", _sha256, False),
    "sha-256-sess": ("SHA-256-sess", _sha256, True),
}


def _qop_options(challenge: Challenge) -> list[str] | None:
    raw = challenge.params.get("qop")
    if raw is None:
        return None
    return [opt.strip().lower() for opt in raw.split(",") if opt.strip()]


def answerable(challenge: Challenge) -> bool:
    """True when ``digest_authorization``/``basic_authorization`` can answer this challenge."""
    if challenge.scheme is AuthScheme.BASIC:
        return True
    if challenge.scheme is not AuthScheme.DIGEST or not challenge.params.get("nonce"):
        return False
    if challenge.params.get("algorithm", "MD5").lower() not in _ALGORITHMS:
        return False
    qops = _qop_options(challenge)
    return qops is None or "auth" in qops


def strongest(challenges: Iterable[Challenge]) -> Challenge | None:
    """The challenge to answer: the first Digest one we support, else Basic, else None.

    RFC 7616 s3.7: a server lists its preferred Digest algorithm first and the client uses the
    first one it supports. Digest beats Basic because Basic sends the password in clear."""
    items = list(challenges)
    for ch in items:
        if ch.scheme is AuthScheme.DIGEST and answerable(ch):
            return ch
    for ch in items:
        if ch.scheme is AuthScheme.BASIC:
            return ch
    return None


def _check_wire_safe(label: str, value: str) -> None:
    # A CR or LF would end our header early and let a hostile realm/nonce inject headers into
    # the next request (RFC 7230 s3.2.4 forbids them in field values).
    if any(ch in value for ch in "\r\n\x00"):
        raise AuthError(f"{label} contains a line break or NUL")


def basic_authorization(user: str, password: str) -> str:
    """``Authorization`` value for Basic (RFC 7617 s2: base64 of ``user-id ":" password``,
    UTF-8 as the s2.1 ``charset`` parameter recommends)."""
    if ":" in user:
        raise AuthError("a Basic user-id cannot contain ':' (RFC 7617 s2)")
    _check_wire_safe("user", user)
    _check_wire_safe("password", password)
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _quote(label: str, value: str) -> str:
    _check_wire_safe(label, value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def digest_authorization(
    challenge: Challenge,
    *,
    method: str,
    uri: str,
    user: str,
    password: str,
    cnonce: str,
    nc: int = 1,
) -> str:
    """``Authorization`` value answering a Digest challenge (RFC 7616 s3.4, RFC 2617 s3.2.2).

    With ``qop`` absent the RFC 2069 form ``H(HA1:nonce:HA2)`` is used, which older cameras
    still require. Raises ``AuthError`` for anything else we cannot answer."""
    if challenge.scheme is not AuthScheme.DIGEST:
        raise AuthError(f"not a Digest challenge: {challenge.name or challenge.scheme}")
    params = challenge.params
    nonce = params.get("nonce")
    if not nonce:
        raise AuthError("Digest challenge without a nonce")
    algo_raw = params.get("algorithm", "MD5")
    algo = _ALGORITHMS.get(algo_raw.lower())
    if algo is None:
        raise AuthError(f"unsupported Digest algorithm {algo_raw[:40]!r}")
    algo_name, hash_fn, sess = algo
    qops = _qop_options(challenge)
    qop: str | None = None
    if qops is not None:
        if "auth" not in qops:
            raise AuthError(f"unsupported qop {params.get('qop', '')[:40]!r} (only auth)")
        qop = "auth"
    if not 0 < nc <= 0xFFFFFFFF:
        raise AuthError("nonce count out of range")
    realm = challenge.realm or ""
    for label, value in (("user", user), ("password", password), ("uri", uri), ("realm", realm)):
        _check_wire_safe(label, value)

    # RFC 7616 s3.4.2: A1 = user:realm:password; for -sess, H(A1) is hashed again with the
    # nonce and cnonce. s3.4.3: A2 = method:uri (qop=auth).
    ha1 = hash_fn(f"{user}:{realm}:{password}".encode())
    if sess:
        ha1 = hash_fn(f"{ha1}:{nonce}:{cnonce}".encode())
    ha2 = hash_fn(f"{method}:{uri}".encode())
    nc_hex = f"{nc:08x}"
    if qop is None:
        response = hash_fn(f"{ha1}:{nonce}:{ha2}".encode())
    else:
        response = hash_fn(f"{ha1}:{nonce}:{nc_hex}:{cnonce}:{qop}:{ha2}".encode())

    username = user
    userhash = params.get("userhash", "").lower() == "true"
    if userhash:
        # RFC 7616 s3.4.4: the server asked for username = H(user:realm).
        username = hash_fn(f"{user}:{realm}".encode())
    parts = [
        f"username={_quote('user', username)}",
        f"realm={_quote('realm', realm)}",
        f"nonce={_quote('nonce', nonce)}",
        f"uri={_quote('uri', uri)}",
    ]
    if "algorithm" in params:
        # Echo it only when the server named one: some old RFC 2069 devices reject the param.
        parts.append(f"algorithm={algo_name}")
    parts.append(f'response="{response}"')
    if qop is not None:
        parts += [f"qop={qop}", f"nc={nc_hex}", f"cnonce={_quote('cnonce', cnonce)}"]
    if "opaque" in params:
        # RFC 7616 s3.4: opaque MUST be returned unchanged.
        parts.append(f"opaque={_quote('opaque', params['opaque'])}")
    if userhash:
        parts.append("userhash=true")
    return "Digest " + ", ".join(parts)
