"""Server side of HTTP/RTSP authentication for the lab: Basic and Digest, plus an optional lockout.

RTSP borrows HTTP authentication unchanged (RFC 2326 section 11.2), so one ``Authenticator``
serves both servers. Digest follows RFC 7616 (which obsoletes RFC 2617 and keeps its MD5 and
"no qop" forms for compatibility): nonces are stateless MACs, so only this server's nonces verify
and a stale one earns ``stale=true`` instead of a failed login.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from scanner.digits import ascii_hex
from scanner.lab.wire import LabProtocolError

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
}
_NONCE_TS_HEX = 12  # milliseconds since the authenticator started, as hex
_NONCE_MAC_HEX = 32
_MAX_REPLAY_ENTRIES = 4096
_MAX_AUTH_HEADER = 4096


class AuthKind(StrEnum):
    BASIC = "basic"
    DIGEST = "digest"


class AuthResult(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no credentials offered: answer with a challenge
    FAILED = "failed"  # wrong credentials, or a nonce this server never issued
    STALE = "stale"  # right credentials on an expired nonce: challenge again with stale=true
    MALFORMED = "malformed"  # an Authorization header we cannot parse: 400
    LOCKED = "locked"  # too many failures recently: refuse even the right password


@dataclass(frozen=True, slots=True)
class DigestOptions:
    """How the Digest challenge looks; real cameras differ exactly here."""

    qop: bool = True  # offer qop="auth" (RFC 7616 section 3.3); False = RFC 2069 style
    algorithms: tuple[str, ...] = ("MD5",)  # one challenge each, preferred first (section 3.7)
    announce_algorithm: bool = True  # omit algorithm= (it then means MD5) like many RTSP servers
    opaque: bool = False  # send an opaque value that the client must echo (section 3.3)
    stale_false: bool = False  # write stale="FALSE" on fresh challenges, as Hikvision does
    nonce_lifetime: float = 300.0  # seconds a nonce stays valid

    def __post_init__(self) -> None:
        unknown = [a for a in self.algorithms if a.removesuffix("-sess") not in _HASHES]
        if unknown or not self.algorithms:
            raise ValueError(f"unsupported digest algorithms: {self.algorithms!r}")


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    realm: str
    schemes: tuple[AuthKind, ...] = (AuthKind.DIGEST,)  # challenges in this order
    digest: DigestOptions = DigestOptions()
    # A broken login: any well-formed credentials get in (a password is asked, never checked).
    accept_any: bool = False

    def __post_init__(self) -> None:
        if not self.schemes:
            raise ValueError("an auth policy needs at least one scheme")
        if '"' in self.realm or "\\" in self.realm:
            raise ValueError("realm must not need quoting escapes")


@dataclass(frozen=True, slots=True)
class Lockout:
    """Lock every login of a device after ``max_failures`` wrong ones, for ``seconds``."""

    max_failures: int = 5
    seconds: float = 60.0


class LoginGuard:
    """Failed-login state of one device, shared by all its services (Hikvision counts that way)."""

    def __init__(self, policy: Lockout | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    def locked(self) -> bool:
        return self._policy is not None and self._clock() < self._locked_until

    def record(self, ok: bool) -> None:
        if self._policy is None:
            return
        if ok:
            self._failures = 0
            return
        self._failures += 1
        if self._failures >= self._policy.max_failures:
            self._failures = 0
            self._locked_until = self._clock() + self._policy.seconds


def parse_auth_params(text: str) -> dict[str, str]:
    """``name=token`` / ``name="quoted"`` pairs, comma separated (RFC 7235 section 2.1).

    Parameter names are case-insensitive and returned in lower case; a repeated name is an
    error (RFC 7616 section 3.4: each directive at most once).
    """
    params: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t,":
            i += 1
        if i >= n:
            break
        start = i
        while i < n and text[i] not in "= \t,":
            i += 1
        name = text[start:i].lower()
        while i < n and text[i] in " \t":
            i += 1
        if not name or i >= n or text[i] != "=":
            raise LabProtocolError("malformed auth parameter")
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            chars: list[str] = []
            while True:
                if i >= n:
                    raise LabProtocolError("unterminated quoted string")
                c = text[i]
                if c == "\\" and i + 1 < n:
                    # RFC 7230 section 3.2.6: quoted-pair.
                    chars.append(text[i + 1])
                    i += 2
                    continue
                i += 1
                if c == '"':
                    break
                chars.append(c)
            value = "".join(chars)
        else:
            start = i
            while i < n and text[i] not in " \t,":
                i += 1
            value = text[start:i]
        if name in params:
            raise LabProtocolError(f"repeated auth parameter {name}")
        params[name] = value
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] != ",":
            raise LabProtocolError("missing comma between auth parameters")
    return params


def request_path(target: str) -> str:
    """Path and query of a request target, absolute (rtsp://h:p/x, http://h/x) or origin form."""
    if "://" in target:
        rest = target.split("://", 1)[1]
        slash = rest.find("/")
        query = rest.find("?")
        if slash < 0 or (0 <= query < slash):
            return "/" + rest[query:] if query >= 0 else "/"
        return rest[slash:]
    return target


def _digest_of(algorithm: str, text: str) -> str:
    return _HASHES[algorithm.removesuffix("-sess")](text.encode("utf-8"))


class Authenticator:
    """Checks the credentials of one service against one user, and writes its challenges."""

    def __init__(
        self,
        policy: AuthPolicy,
        username: str,
        password: str,
        *,
        guard: LoginGuard | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._username = username
        self._password = password
        self._guard = guard or LoginGuard(None)
        self._clock = clock
        # A random start for the nonce clock, so nonces do not reveal the server's uptime.
        self._epoch = clock() - secrets.randbelow(2**40) / 1000
        self._key = secrets.token_bytes(32)
        self._opaque = secrets.token_hex(16)
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()

    # -- challenges ----------------------------------------------------------------------------

    def _nonce(self) -> str:
        stamp = f"{int((self._clock() - self._epoch) * 1000):0{_NONCE_TS_HEX}x}"
        return stamp + self._mac(stamp)

    def _mac(self, stamp: str) -> str:
        message = f"{stamp}:{self.policy.realm}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:_NONCE_MAC_HEX]

    def challenges(self, *, stale: bool = False) -> list[str]:
        """``WWW-Authenticate`` values, one per scheme/algorithm (RFC 7235 section 4.1)."""
        out: list[str] = []
        opts = self.policy.digest
        for scheme in self.policy.schemes:
            if scheme is AuthKind.BASIC:
                out.append(f'Basic realm="{self.policy.realm}"')
                continue
            nonce = self._nonce()
            for algorithm in opts.algorithms:
                parts = [f'Digest realm="{self.policy.realm}"']
                if opts.qop:
                    parts.append('qop="auth"')
                parts.append(f'nonce="{nonce}"')
                if opts.opaque:
                    parts.append(f'opaque="{self._opaque}"')
                if opts.announce_algorithm:
                    parts.append(f"algorithm={algorithm}")
                if stale:
                    parts.append("stale=true")
                elif opts.stale_false:
                    parts.append('stale="FALSE"')
                out.append(", ".join(parts))
        return out

    # -- verification --------------------------------------------------------------------------

    def check(self, method: str, target: str, authorization: str | None) -> AuthResult:
        """Verify an ``Authorization`` header for ``method`` on ``target``."""
        if authorization is None or not authorization.strip():
            return AuthResult.MISSING
        if len(authorization) > _MAX_AUTH_HEADER:
            return AuthResult.MALFORMED
        scheme, _, rest = authorization.strip().partition(" ")
        kind = scheme.lower()
        if kind not in {k.value for k in self.policy.schemes}:
            # A scheme we never offered is no login attempt at all: challenge again.
            return AuthResult.MISSING
        if self._guard.locked():
            return AuthResult.LOCKED
        try:
            if kind == AuthKind.BASIC:
                result = self._check_basic(rest.strip())
            else:
                result = self._check_digest(method, target, parse_auth_params(rest))
        except LabProtocolError:
            return AuthResult.MALFORMED
        if result is AuthResult.FAILED and self.policy.accept_any:
            result = AuthResult.OK
        if result in (AuthResult.OK, AuthResult.FAILED):
            self._guard.record(result is AuthResult.OK)
        return result

    def check_password(self, username: str, password: str) -> AuthResult:
        """Plain login (Telnet): same user, same lockout."""
        if self._guard.locked():
            return AuthResult.LOCKED
        ok = self._same(username, self._username) & self._same(password, self._password)
        self._guard.record(ok)
        return AuthResult.OK if ok else AuthResult.FAILED

    @staticmethod
    def _same(given: str, wanted: str) -> bool:
        return secrets.compare_digest(given.encode("utf-8"), wanted.encode("utf-8"))

    def _check_basic(self, token: str) -> AuthResult:
        # RFC 7617 section 2: base64 of user-id ":" password; UTF-8 is the charset we announce
        # implicitly and the one every camera client sends.
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, ValueError) as exc:
            raise LabProtocolError("malformed Basic credentials") from exc
        user, sep, password = decoded.partition(":")
        if not sep:
            raise LabProtocolError("Basic credentials without a colon")
        ok = self._same(user, self._username) & self._same(password, self._password)
        return AuthResult.OK if ok else AuthResult.FAILED

    def _nonce_age(self, nonce: str) -> float | None:
        """Seconds since this server issued ``nonce``; None if it never did."""
        if len(nonce) != _NONCE_TS_HEX + _NONCE_MAC_HEX:
            return None
        stamp, mac = nonce[:_NONCE_TS_HEX], nonce[_NONCE_TS_HEX:]
        issued_ms = ascii_hex(stamp, max_digits=_NONCE_TS_HEX)
        if issued_ms is None:
            return None
        issued = issued_ms / 1000
        if not secrets.compare_digest(mac.encode("ascii", "replace"), self._mac(stamp).encode()):
            return None
        age = (self._clock() - self._epoch) - issued
        return age if age >= -1.0 else None

    def _check_digest(self, method: str, target: str, params: dict[str, str]) -> AuthResult:
        opts = self.policy.digest
        for required in ("username", "realm", "nonce", "uri", "response"):
            if required not in params:
                raise LabProtocolError(f"Digest credentials without {required}")
        algorithm = params.get("algorithm", "MD5")  # RFC 7616 section 3.3: absent means MD5
        offered = {a.upper(): a for a in opts.algorithms}
        if algorithm.upper() not in offered:
            return AuthResult.FAILED
        algorithm = offered[algorithm.upper()]
        qop = params.get("qop")
        nc = params.get("nc", "")
        cnonce = params.get("cnonce", "")
        if qop is not None:
            # Section 3.4: with qop, nc is exactly 8 hex digits and cnonce is required.
            if qop.lower() != "auth":
                return AuthResult.FAILED  # auth-int is never offered here
            if len(nc) != 8 or any(c not in "0123456789abcdefABCDEF" for c in nc) or not cnonce:
                raise LabProtocolError("Digest qop=auth needs nc (8 hex digits) and cnonce")
        elif algorithm.endswith("-sess"):
            raise LabProtocolError("Digest -sess algorithm needs cnonce")
        if params["realm"] != self.policy.realm:
            return AuthResult.FAILED
        if opts.opaque and params.get("opaque") != self._opaque:
            return AuthResult.FAILED
        # Section 3.4.6: the digest-uri must name the resource of the request line. Clients
        # write it absolute or as a path, so compare the path and query of both.
        if params["uri"] != target and request_path(params["uri"]) != request_path(target):
            return AuthResult.FAILED
        age = self._nonce_age(params["nonce"])
        if age is None:
            return AuthResult.FAILED
        expected = self._expected(algorithm, method, params, qop)
        ok = self._same(params["username"], self._username) & secrets.compare_digest(
            params["response"].lower().encode("ascii", "replace"), expected.encode()
        )
        if not ok:
            return AuthResult.FAILED
        if age > opts.nonce_lifetime:
            # Section 3.3 stale: the password was right, only the nonce is old.
            return AuthResult.STALE
        if qop is not None and not self._fresh_count(params["nonce"], cnonce, int(nc, 16)):
            return AuthResult.FAILED
        return AuthResult.OK

    def _expected(
        self, algorithm: str, method: str, params: dict[str, str], qop: str | None
    ) -> str:
        # RFC 7616 sections 3.4.1-3.4.3 (RFC 2617 section 3.2.2.1 for the no-qop form).
        nonce, cnonce = params["nonce"], params.get("cnonce", "")
        ha1 = _digest_of(algorithm, f"{self._username}:{self.policy.realm}:{self._password}")
        if algorithm.endswith("-sess"):
            ha1 = _digest_of(algorithm, f"{ha1}:{nonce}:{cnonce}")
        ha2 = _digest_of(algorithm, f"{method}:{params['uri']}")
        if qop is None:
            return _digest_of(algorithm, f"{ha1}:{nonce}:{ha2}")
        return _digest_of(algorithm, f"{ha1}:{nonce}:{params['nc']}:{cnonce}:{qop}:{ha2}")

    def _fresh_count(self, nonce: str, cnonce: str, count: int) -> bool:
        """Reject a replayed (nonce, cnonce, nc): RFC 7616 section 3.4 asks nc to increase."""
        key = (nonce, cnonce)
        last = self._seen.get(key)
        if last is not None and count <= last:
            return False
        self._seen[key] = count
        self._seen.move_to_end(key)
        while len(self._seen) > _MAX_REPLAY_ENTRIES:
            self._seen.popitem(last=False)
        return True
