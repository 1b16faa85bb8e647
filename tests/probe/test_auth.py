from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.models import AuthScheme
from scanner.probe.auth import (
    AuthError,
    Challenge,
    answerable,
    basic_authorization,
    digest_authorization,
    parse_www_authenticate,
    strongest,
)

# RFC 7616 s3.9.1 worked example.
RFC7616_CHALLENGE = (
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={alg}, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
    'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
)
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


def _params(header: str) -> dict[str, str]:
    assert header.startswith("Digest ")
    challenge = parse_www_authenticate([header])[0]
    return challenge.params


@pytest.mark.parametrize(
    ("alg", "expected"),
    [
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ],
)
def test_rfc7616_worked_example(alg: str, expected: str) -> None:
    [challenge] = parse_www_authenticate([RFC7616_CHALLENGE.format(alg=alg)])
    header = digest_authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        user="Mufasa",
        password="Circle of Life",
        cnonce=RFC7616_CNONCE,
    )
    params = _params(header)
    assert params["response"] == expected
    assert params["qop"] == "auth"
    assert params["nc"] == "00000001"
    assert params["algorithm"] == alg
    assert params["opaque"] == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
    assert params["uri"] == "/dir/index.html"


def test_rfc2617_example() -> None:
    [challenge] = parse_www_authenticate(
        [
            'Digest realm="testrealm@host.com", qop="auth,auth-int", '
            'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
            'opaque="5ccc069c403ebaf9f0171e9517f40e41"'
        ]
    )
    header = digest_authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        user="Mufasa",
        password="Circle Of Life",
        cnonce="0a4f113b",
    )
    params = _params(header)
    assert params["response"] == "6629fae49393a05397450978507c4ef1"
    # No algorithm in the challenge: none echoed (RFC 2069-era devices reject it).
    assert "algorithm" not in params


def test_digest_without_qop_uses_rfc2069_form() -> None:
    # RFC 2069: response = MD5(HA1:nonce:HA2); value computed by hand from the RFC 2617 inputs.
    [challenge] = parse_www_authenticate(['Digest realm="testrealm@host.com", nonce="abc"'])
    header = digest_authorization(
        challenge, method="GET", uri="/x", user="u", password="p", cnonce="ignored"
    )
    params = _params(header)
    assert "qop" not in params
    assert "cnonce" not in params
    assert "nc" not in params


def test_digest_without_qop_exact_value() -> None:
    def md5(s: str) -> str:
        return hashlib.md5(s.encode()).hexdigest()

    [challenge] = parse_www_authenticate(['Digest realm="r", nonce="n"'])
    header = digest_authorization(
        challenge, method="DESCRIBE", uri="rtsp://h/x", user="u", password="p", cnonce="c"
    )
    expected = md5(f"{md5('u:r:p')}:n:{md5('DESCRIBE:rtsp://h/x')}")
    assert _params(header)["response"] == expected


@pytest.mark.parametrize("alg", ["MD5-sess", "SHA-256-sess", "md5-SESS"])
def test_sess_algorithms_rehash_ha1(alg: str) -> None:
    fn = hashlib.sha256 if alg.upper().startswith("SHA") else hashlib.md5

    def h(s: str) -> str:
        return fn(s.encode()).hexdigest()

    [challenge] = parse_www_authenticate(
        [f'Digest realm="r", nonce="n", qop=auth, algorithm={alg}']
    )
    header = digest_authorization(
        challenge, method="GET", uri="/", user="u", password="p", cnonce="c", nc=2
    )
    ha1 = h(f"{h('u:r:p')}:n:c")
    expected = h(f"{ha1}:n:00000002:c:auth:{h('GET:/')}")
    params = _params(header)
    assert params["response"] == expected
    assert params["nc"] == "00000002"


def test_userhash() -> None:
    [challenge] = parse_www_authenticate(
        ['Digest realm="r", nonce="n", qop=auth, algorithm=SHA-256, userhash=true']
    )
    header = digest_authorization(
        challenge, method="GET", uri="/", user="u", password="p", cnonce="c"
    )
    params = _params(header)
    assert params["username"] == hashlib.sha256(b"u:r").hexdigest()
    assert params["userhash"] == "true"


@pytest.mark.parametrize(
    ("challenge", "message"),
    [
        ('Digest realm="r", nonce="n", qop="auth-int"', "qop"),
        ('Digest realm="r", nonce="n", algorithm=SHA-512-256', "algorithm"),
        ('Digest realm="r"', "nonce"),
        ('Basic realm="r"', "not a Digest"),
    ],
)
def test_digest_refuses_what_it_cannot_answer(challenge: str, message: str) -> None:
    [parsed] = parse_www_authenticate([challenge])
    with pytest.raises(AuthError, match=message):
        digest_authorization(parsed, method="GET", uri="/", user="u", password="p", cnonce="c")


def test_digest_quotes_and_rejects_line_breaks() -> None:
    [challenge] = parse_www_authenticate(['Digest realm="a \\"q\\" b", nonce="n"'])
    assert challenge.realm == 'a "q" b'
    header = digest_authorization(
        challenge, method="GET", uri="/", user='us"er', password="p", cnonce="c"
    )
    assert 'username="us\\"er"' in header
    assert 'realm="a \\"q\\" b"' in header
    with pytest.raises(AuthError):
        digest_authorization(
            challenge, method="GET", uri="/", user="u\r\nX-Evil: 1", password="p", cnonce="c"
        )


def test_basic() -> None:
    value = basic_authorization("Aladdin", "open sesame")
    assert value == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="  # RFC 7617 s2 example
    assert base64.b64decode(basic_authorization("ü", "p").split()[1]) == "ü:p".encode()
    with pytest.raises(AuthError):
        basic_authorization("a:b", "p")


# --- parsing ---------------------------------------------------------------------------------


def test_multiple_challenges_in_one_header_and_across_headers() -> None:
    found = parse_www_authenticate(
        [
            'Basic realm="simple", Digest realm="x, y", nonce="n1", qop="auth,auth-int"',
            'Newauth realm=apps, type=1, title="Login to \\"apps\\""',
        ]
    )
    assert [c.scheme for c in found] == [AuthScheme.BASIC, AuthScheme.DIGEST, AuthScheme.UNKNOWN]
    assert found[0].realm == "simple"
    assert found[1].realm == "x, y"  # comma inside quotes does not split
    assert found[1].params["qop"] == "auth,auth-int"
    assert found[2].name == "newauth"
    assert found[2].params == {"realm": "apps", "type": "1", "title": 'Login to "apps"'}


def test_case_insensitive_scheme_and_params_and_bws() -> None:
    [c] = parse_www_authenticate(['DIGEST REALM = "R" , NONCE="n",Algorithm=md5'])
    assert c.scheme is AuthScheme.DIGEST
    assert c.realm == "R"
    assert c.params["algorithm"] == "md5"
    assert answerable(c)


def test_token68_and_bare_schemes() -> None:
    found = parse_www_authenticate(["Negotiate YIIB==, Bearer", "NTLM"])
    assert [(c.name, c.token68) for c in found] == [
        ("negotiate", "YIIB=="),
        ("bearer", None),
        ("ntlm", None),
    ]


def test_unquoted_realm_with_odd_characters() -> None:
    [c] = parse_www_authenticate(["Basic realm=IPCamera@host:80"])
    assert c.realm == "IPCamera@host:80"


def test_unterminated_quote_is_best_effort() -> None:
    [c] = parse_www_authenticate(['Digest realm="never closed, nonce="x'])
    assert c.scheme is AuthScheme.DIGEST
    assert c.realm is not None
    assert c.realm.startswith("never closed")


def test_repeated_param_first_wins() -> None:
    [c] = parse_www_authenticate(['Digest realm="first", realm="second", nonce=n'])
    assert c.realm == "first"


@pytest.mark.parametrize("junk", ["", "   ", ",,,", "=", '"quoted only"', "realm=x", "\x00\xff"])
def test_junk_gives_empty_or_best_effort(junk: str) -> None:
    found = parse_www_authenticate([junk])
    assert all(isinstance(c, Challenge) for c in found)
    assert all(c.scheme is AuthScheme.UNKNOWN for c in found)


def test_huge_header_is_bounded() -> None:
    found = parse_www_authenticate(["Basic realm=a, " * 100_000])
    assert 0 < len(found) <= 32
    many_params = parse_www_authenticate(["Digest " + ", ".join(f"p{i}=v" for i in range(5000))])
    assert len(many_params[0].params) <= 64


@given(st.lists(st.text(max_size=300), max_size=4))
def test_parse_never_raises(values: list[str]) -> None:
    for challenge in parse_www_authenticate(values):
        assert isinstance(challenge.scheme, AuthScheme)
        assert all(k == k.lower() for k in challenge.params)


@given(st.binary(max_size=300))
def test_parse_never_raises_on_decoded_bytes(raw: bytes) -> None:
    parse_www_authenticate([raw.decode("latin-1")])


# --- strongest -------------------------------------------------------------------------------


def test_strongest_prefers_first_supported_digest_then_basic() -> None:
    found = parse_www_authenticate(
        [
            'Basic realm="b"',
            'Digest realm="d", nonce="1", qop="auth-int"',  # cannot answer
            'Digest realm="d", nonce="2", algorithm=SHA-256, qop=auth',
            'Digest realm="d", nonce="3", algorithm=MD5, qop=auth',
        ]
    )
    best = strongest(found)
    assert best is not None
    assert best.params["nonce"] == "2"
    only_basic = strongest(parse_www_authenticate(['Basic realm="b"', "Bearer"]))
    assert only_basic is not None
    assert only_basic.scheme is AuthScheme.BASIC
    assert strongest(parse_www_authenticate(["Bearer", 'Digest realm="x"'])) is None
    assert strongest([]) is None
