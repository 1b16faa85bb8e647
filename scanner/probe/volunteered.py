"""Fields a device volunteers beside its main answer, as evidence (issue 13).

Pure parsers, called by the probes on what they already received, never sending anything:

- ``greeting_fields``: the first thing a port said, when it is an FTP (``220 ...``, RFC 959
  s4.2) or SSH (``SSH-2.0-...``, RFC 4253 s4.2) greeting: DVRs and NVRs put their product in it;
- ``html_fields``: ``<meta>`` generator, author, description and application-name, and a short
  description of a login form (its action and the names of its inputs);
- ``sdp_fields``: the SDP session name (``s=``) and information (``i=``) of an RTSP stream
  (RFC 8866 s5.3, s5.4), where cameras name themselves;
- ``certificate_fields``: the subject and issuer of a TLS certificate (cameras ship self-signed
  certificates naming their maker or model).

Every value is the device's own text: bounded, one line, control characters dropped. Bad input
gives no field, never an exception.
"""

from __future__ import annotations

import re

__all__ = ["certificate_fields", "greeting_fields", "html_fields", "sdp_fields"]

_VALUE_CHARS = 512
_SCAN_CHARS = 64 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _clean(text: str, limit: int = _VALUE_CHARS) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def _as_sent(text: str, limit: int = _VALUE_CHARS) -> str:
    """One line of a greeting with its spacing as sent: a run of spaces is part of what the
    device says (Canon VB-C10's FTP greeting is ``220  (Ver. ...``, two spaces, and nmap's
    match line holds both); only control characters become a space."""
    return _CONTROL.sub(" ", text).strip()[:limit]


_FTP = re.compile(r"^(?:120|220)[ -]")
_SSH = re.compile(r"^SSH-[0-9]+\.[0-9]+-")


def greeting_fields(text: str) -> dict[str, str]:
    """``ftp.banner`` or ``ssh.banner`` for a greeting that is one (else nothing)."""
    stripped = text.lstrip()
    if _SSH.match(stripped):
        return {"ssh.banner": _as_sent(stripped.split("\n", 1)[0])}
    if _FTP.match(stripped):
        # multi-line greetings (220-...) say the most in their first lines: folded into one
        lines = [line.strip() for line in stripped.split("\n") if line.strip()][:4]
        return {"ftp.banner": _as_sent(" ".join(lines))}
    return {}


_META = re.compile(r"<meta\b([^>]{0,1024})>", re.IGNORECASE)
_ATTR = re.compile(
    r"""([a-zA-Z_:-]{1,40})\s*=\s*(?:"([^"]{0,1024})"|'([^']{0,1024})'|([^\s>]{1,256}))"""
)
_META_NAMES = ("generator", "author", "description", "application-name", "keywords")
_FORM_START = re.compile(r"<form", re.IGNORECASE)
_FORM_OPEN = re.compile(r"<form\b([^>]{0,1024})>", re.IGNORECASE)
_FORM_END = re.compile(r"</?form", re.IGNORECASE)  # its end, or the next form
_INPUT = re.compile(r"<input\b([^>]{0,1024})>", re.IGNORECASE)


def _attrs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for found in _ATTR.finditer(text):
        value = found.group(2) or found.group(3) or found.group(4) or ""
        out.setdefault(found.group(1).lower(), value)
    return out


def html_fields(html: str) -> dict[str, str]:
    """``http.meta.<name>`` for the standard meta names, and ``http.form`` describing the
    first form that asks for a password (or the first form)."""
    text = html[:_SCAN_CHARS]
    fields: dict[str, str] = {}
    for found in _META.finditer(text):
        attrs = _attrs(found.group(1))
        name = attrs.get("name", "").lower()
        content = attrs.get("content", "")
        if name in _META_NAMES and content and f"http.meta.{name}" not in fields:
            fields[f"http.meta.{name}"] = _clean(content)
    forms: list[tuple[bool, str]] = []
    # at most 8 forms among the first 64 "<form" openings, each read up to 8 KiB: a hostile
    # page of unclosed forms stays cheap
    for tried, start in enumerate(_FORM_START.finditer(text)):
        if tried >= 64 or len(forms) >= 8:
            break
        open_tag = _FORM_OPEN.match(text, start.start())
        if open_tag is None:
            continue
        end = _FORM_END.search(text, open_tag.end(), open_tag.end() + 8192)
        inner = text[open_tag.end() : end.start() if end else open_tag.end() + 8192]
        forms.append(_describe_form(open_tag.group(1), inner))
    if forms:
        fields["http.form"] = next((d for p, d in forms if p), forms[0][1])
    return fields


def _describe_form(attributes: str, inner: str) -> tuple[bool, str]:
    action = _attrs(attributes).get("action", "")
    inputs = [_attrs(m.group(1)) for m in _INPUT.finditer(inner)]
    has_password = any(i.get("type", "").lower() == "password" for i in inputs)
    names = [
        f"{i.get('name') or i.get('id')}({i.get('type', 'text').lower()})"
        for i in inputs
        if (i.get("name") or i.get("id")) and i.get("type", "").lower() != "hidden"
    ][:8]
    return has_password, _clean(f"action={action or '-'}; inputs: {', '.join(names) or 'none'}")


def sdp_fields(sdp: str) -> dict[str, str]:
    """``rtsp.sdp_session`` (s=) and ``rtsp.sdp_info`` (the session-level i=)."""
    fields: dict[str, str] = {}
    for raw in sdp[:_SCAN_CHARS].splitlines():
        line = raw.strip()
        if line.startswith("m="):
            break  # media-level i= lines describe a track, not the device
        if line.startswith("s=") and "rtsp.sdp_session" not in fields:
            value = _clean(line[2:])
            if value and value not in ("-", " "):
                fields["rtsp.sdp_session"] = value
        elif line.startswith("i=") and "rtsp.sdp_info" not in fields:
            value = _clean(line[2:])
            if value:
                fields["rtsp.sdp_info"] = value
    return fields


def certificate_fields(der: bytes) -> dict[str, str]:
    """``tls.subject`` and ``tls.issuer`` (RFC 4514 strings) of a DER certificate."""
    try:
        from cryptography import x509  # noqa: PLC0415 - only scans that meet TLS need it

        cert = x509.load_der_x509_certificate(der)
        subject = cert.subject.rfc4514_string()
        issuer = cert.issuer.rfc4514_string()
    except Exception:  # noqa: BLE001 - a malformed certificate is no evidence, not a crash
        return {}
    fields: dict[str, str] = {}
    if subject:
        fields["tls.subject"] = _clean(subject)
    if issuer:
        fields["tls.issuer"] = _clean(issuer)
    return fields
