"""Server-side Basic/Digest checks of the lab, against responses computed here from the RFCs."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.lab.auth import (
    Authenticator,
    AuthKind,
    AuthPolicy,
    AuthResult,
    DigestOptions,
    Lockout,
    LoginGuard,
    parse_auth_params,
    request_path,
)
from scanner.lab.wire import LabProtocolError

REALM = "Login to 4K01234PAZ00000"
URI = "rtsp://127.77.0.12:554/cam/realmonitor?channel=1&subtype=0"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def h(algorithm: str, text: str) -> str:
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, text.encode()).hexdigest()


def digest_header(
    challenge: str,
    *,
    user: str,
    password: str,
    method: str,
    uri: str,
    nc: str = "00000001",
    cnonce: str = "0a4f113b",
    use_qop: bool | None = None,
    realm: str | None = None,
    extra: str = "",
) -> str:
    """An Authorization header computed from RFC 2617 section 3.2.2 / RFC 7616 section 3.4."""
    params = parse_auth_params(challenge.split(" ", 1)[1])
    algorithm = params.get("algorithm", "MD5")
    realm = params["realm"] if realm is None else realm
    nonce = params["nonce"]
    qop = "auth" if (use_qop if use_qop is not None else "qop" in params) else None
    ha1 = h(algorithm, f"{user}:{realm}:{password}")
    if algorithm.endswith("-sess"):
        ha1 = h(algorithm, f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(algorithm, f"{method}:{uri}")
    if qop:
        response = h(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
        tail = f', qop={qop}, nc={nc}, cnonce="{cnonce}"'
    else:
        response = h(algorithm, f"{ha1}:{nonce}:{ha2}")
        tail = ""
    opaque = f', opaque="{params["opaque"]}"' if "opaque" in params else ""
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm={algorithm}{tail}{opaque}{extra}'
    )


def make(
    options: DigestOptions | None = None,
    schemes: tuple[AuthKind, ...] = (AuthKind.DIGEST,),
    clock: Clock | None = None,
    guard: LoginGuard | None = None,
) -> Authenticator:
    policy = AuthPolicy(realm=REALM, schemes=schemes, digest=options or DigestOptions())
    return Authenticator(policy, "admin", "admin", clock=clock or Clock(), guard=guard)


def test_parse_auth_params_handles_tokens_quotes_and_escapes() -> None:
    params = parse_auth_params('realm="a \\"b\\", c", qop=auth , nc=00000001,NONCE="x"')
    assert params == {"realm": 'a "b", c', "qop": "auth", "nc": "00000001", "nonce": "x"}


@pytest.mark.parametrize("text", ['realm="open', "realm", "a=1 b=2", "a=1, a=2", "=x", 'a="1"junk'])
def test_parse_auth_params_rejects_malformed(text: str) -> None:
    with pytest.raises(LabProtocolError):
        parse_auth_params(text)


@given(st.text(max_size=200))
def test_parse_auth_params_raises_only_its_error(text: str) -> None:
    with contextlib.suppress(LabProtocolError):
        parse_auth_params(text)


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("rtsp://1.2.3.4:554/a/b?x=1", "/a/b?x=1"),
        ("rtsp://host", "/"),
        ("rtsp://host?x", "/?x"),
        ("http://h/p", "/p"),
        ("/p?q", "/p?q"),
    ],
)
def test_request_path(target: str, path: str) -> None:
    assert request_path(target) == path


def test_challenge_shapes_follow_the_options() -> None:
    plain = make(DigestOptions(qop=False, announce_algorithm=False, stale_false=True))
    (challenge,) = plain.challenges()
    assert challenge.startswith(f'Digest realm="{REALM}", nonce="')
    assert "qop" not in challenge
    assert "algorithm" not in challenge
    assert challenge.endswith('stale="FALSE"')
    both = make(DigestOptions(algorithms=("SHA-256", "MD5")), (AuthKind.DIGEST, AuthKind.BASIC))
    sha, md5, basic = both.challenges()
    assert 'qop="auth"' in sha
    assert "algorithm=SHA-256" in sha
    assert "algorithm=MD5" in md5
    assert basic == f'Basic realm="{REALM}"'
    # RFC 7616 section 3.7: one nonce across the alternatives of one challenge set.
    assert parse_auth_params(sha[7:])["nonce"] == parse_auth_params(md5[7:])["nonce"]
    assert "stale=true" in both.challenges(stale=True)[0]


def test_missing_or_foreign_scheme_is_a_challenge_not_a_failure() -> None:
    auth = make()
    assert auth.check("DESCRIBE", URI, None) is AuthResult.MISSING
    assert auth.check("DESCRIBE", URI, "  ") is AuthResult.MISSING
    # Basic was never offered: the client is asked again, nothing counts as a failed login.
    assert auth.check("DESCRIBE", URI, "Basic YWRtaW46YWRtaW4=") is AuthResult.MISSING


def test_digest_without_qop_rfc2069_form() -> None:
    auth = make(DigestOptions(qop=False, announce_algorithm=False))
    (challenge,) = auth.challenges()
    good = digest_header(challenge, user="admin", password="admin", method="DESCRIBE", uri=URI)
    assert auth.check("DESCRIBE", URI, good) is AuthResult.OK
    bad = digest_header(challenge, user="admin", password="nope", method="DESCRIBE", uri=URI)
    assert auth.check("DESCRIBE", URI, bad) is AuthResult.FAILED
    # The method is part of A2: a response computed for another method does not verify.
    other = digest_header(challenge, user="admin", password="admin", method="SETUP", uri=URI)
    assert auth.check("DESCRIBE", URI, other) is AuthResult.FAILED


def test_digest_with_qop_checks_nc_and_replays() -> None:
    auth = make()
    (challenge,) = auth.challenges()

    def header(nc: str, cnonce: str = "abc") -> str:
        return digest_header(
            challenge,
            user="admin",
            password="admin",
            method="DESCRIBE",
            uri=URI,
            nc=nc,
            cnonce=cnonce,
        )

    assert auth.check("DESCRIBE", URI, header("00000001")) is AuthResult.OK
    assert auth.check("DESCRIBE", URI, header("00000001")) is AuthResult.FAILED  # replay
    assert auth.check("DESCRIBE", URI, header("00000002")) is AuthResult.OK
    assert auth.check("DESCRIBE", URI, header("00000001", "fresh")) is AuthResult.OK
    assert auth.check("DESCRIBE", URI, header("1")) is AuthResult.MALFORMED


def test_qop_offered_but_client_omits_it_is_still_accepted() -> None:
    auth = make()
    (challenge,) = auth.challenges()
    header = digest_header(
        challenge, user="admin", password="admin", method="DESCRIBE", uri=URI, use_qop=False
    )
    assert auth.check("DESCRIBE", URI, header) is AuthResult.OK


@pytest.mark.parametrize("algorithms", [("SHA-256",), ("MD5-sess",), ("SHA-256-sess", "MD5")])
def test_digest_algorithms(algorithms: tuple[str, ...]) -> None:
    auth = make(DigestOptions(algorithms=algorithms))
    challenge = auth.challenges()[0]
    header = digest_header(challenge, user="admin", password="admin", method="PLAY", uri=URI)
    assert auth.check("PLAY", URI, header) is AuthResult.OK
    md5_only = make()
    assert md5_only.check("PLAY", URI, header) is AuthResult.FAILED


def test_digest_uri_forms_and_mismatch() -> None:
    auth = make(DigestOptions(qop=False))
    (challenge,) = auth.challenges()
    # A client may name the resource by path while the request line is absolute.
    by_path = digest_header(
        challenge,
        user="admin",
        password="admin",
        method="DESCRIBE",
        uri="/cam/realmonitor?channel=1&subtype=0",
    )
    assert auth.check("DESCRIBE", URI, by_path) is AuthResult.OK
    elsewhere = digest_header(
        challenge, user="admin", password="admin", method="DESCRIBE", uri="rtsp://h/other"
    )
    assert auth.check("DESCRIBE", URI, elsewhere) is AuthResult.FAILED


def test_nonce_must_come_from_this_server_and_realm_must_match() -> None:
    auth = make(DigestOptions(qop=False))
    other = make(DigestOptions(qop=False))
    (foreign,) = other.challenges()
    header = digest_header(foreign, user="admin", password="admin", method="DESCRIBE", uri=URI)
    assert auth.check("DESCRIBE", URI, header) is AuthResult.FAILED
    (challenge,) = auth.challenges()
    wrong_realm = digest_header(
        challenge, user="admin", password="admin", method="DESCRIBE", uri=URI, realm="x"
    )
    assert auth.check("DESCRIBE", URI, wrong_realm) is AuthResult.FAILED
    forged = header.replace(parse_auth_params(foreign[7:])["nonce"], "0" * 44)
    assert auth.check("DESCRIBE", URI, forged) is AuthResult.FAILED


def test_stale_nonce_with_right_password_is_stale_not_failed() -> None:
    clock = Clock()
    auth = make(DigestOptions(nonce_lifetime=30.0), clock=clock)
    (challenge,) = auth.challenges()
    header = digest_header(challenge, user="admin", password="admin", method="DESCRIBE", uri=URI)
    clock.now += 31
    assert auth.check("DESCRIBE", URI, header) is AuthResult.STALE
    wrong = digest_header(challenge, user="admin", password="x", method="DESCRIBE", uri=URI)
    assert auth.check("DESCRIBE", URI, wrong) is AuthResult.FAILED


def test_opaque_must_be_echoed() -> None:
    auth = make(DigestOptions(opaque=True))
    (challenge,) = auth.challenges()
    header = digest_header(challenge, user="admin", password="admin", method="DESCRIBE", uri=URI)
    assert auth.check("DESCRIBE", URI, header) is AuthResult.OK
    stripped = header.split(", opaque=")[0]
    assert auth.check("DESCRIBE", URI, stripped) is AuthResult.FAILED


def test_basic() -> None:
    auth = make(schemes=(AuthKind.BASIC,))
    good = "Basic " + base64.b64encode(b"admin:admin").decode()
    bad = "Basic " + base64.b64encode(b"admin:12345").decode()
    assert auth.check("GET", "/", good) is AuthResult.OK
    assert auth.check("GET", "/", "basic " + good.split()[1]) is AuthResult.OK
    assert auth.check("GET", "/", bad) is AuthResult.FAILED
    assert auth.check("GET", "/", "Basic !!!") is AuthResult.MALFORMED
    assert auth.check("GET", "/", "Basic " + base64.b64encode(b"nocolon").decode()) is (
        AuthResult.MALFORMED
    )


def test_lockout_refuses_even_the_right_password_until_it_expires() -> None:
    clock = Clock()
    guard = LoginGuard(Lockout(max_failures=2, seconds=60), clock=clock)
    auth = make(schemes=(AuthKind.BASIC,), clock=clock, guard=guard)
    good = "Basic " + base64.b64encode(b"admin:admin").decode()
    bad = "Basic " + base64.b64encode(b"admin:wrong").decode()
    assert auth.check("GET", "/", bad) is AuthResult.FAILED
    assert auth.check("GET", "/", bad) is AuthResult.FAILED
    assert auth.check("GET", "/", good) is AuthResult.LOCKED
    assert auth.check_password("admin", "admin") is AuthResult.LOCKED
    # No credentials at all is not a login attempt: still a plain challenge.
    assert auth.check("GET", "/", None) is AuthResult.MISSING
    clock.now += 61
    assert auth.check("GET", "/", good) is AuthResult.OK


def test_digest_options_reject_unknown_algorithms() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        DigestOptions(algorithms=("SHA-512",))


@settings(max_examples=300)
@given(st.text(max_size=300), st.sampled_from(["DESCRIBE", "GET"]))
def test_check_never_raises_on_hostile_headers(header: str, method: str) -> None:
    auth = make(DigestOptions(opaque=True), (AuthKind.DIGEST, AuthKind.BASIC))
    for value in (header, "Digest " + header, "Basic " + header):
        assert isinstance(auth.check(method, URI, value), AuthResult)
