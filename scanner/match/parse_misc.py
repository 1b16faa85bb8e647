"""The credentials, ports and routes sections of signature files."""

from __future__ import annotations

import yaml

from scanner.match.parse_common import _ROUTE, MAX_GENERIC_ROUTES, ParserBase, _Reader
from scanner.match.schema import (
    GENERIC,
    CredentialEntry,
    CredentialPair,
    CredentialProtocol,
    PortInfo,
    VendorRoutes,
)
from scanner.models import PORT_PROTOCOLS, Protocol

__all__ = ["MiscSection"]


class MiscSection(ParserBase):
    """Parses credential sets, port entries and RTSP route tables."""

    def pair(self, r: _Reader, node: yaml.Node) -> CredentialPair | None:
        n0 = len(r.errors)
        m = r.mapping(
            node, "credential pair", ("username", "password"), ("reference", "note", "line")
        )
        if m is None:
            return None
        user = r.string(m.get("username"), "username")
        password = r.string(m.get("password"), "password", empty=True)
        reference = r.url(m.get("reference"), "reference") if "reference" in m else None
        note = r.string(m.get("note"), "note") if "note" in m else None
        line = r.string(m.get("line"), "line") if "line" in m else None
        if len(r.errors) > n0 or user is None or password is None:
            return None
        if reference is None and self.shipped:
            r.error(
                node,
                "a shipped credential pair needs a reference: the manual, advisory or public list "
                "that publishes it",
                f"{user}/{password}",
            )
            return None
        if reference is None and note is None:
            r.error(
                node,
                "a credential pair needs a reference or a note (e.g. 'widely reported')",
                f"{user}/{password}",
            )
            return None
        return CredentialPair(user, password, reference, note, line)

    def credentials(self, r: _Reader, node: yaml.Node) -> list[CredentialEntry] | None:
        n0 = len(r.errors)
        m = r.mapping(
            node, "credential set", ("vendor", "pairs"), ("protocol", "protocols", "description")
        )
        if m is None:
            return None
        choices = [p.value for p in CredentialProtocol]
        if ("protocol" in m) == ("protocols" in m):
            given = ", ".join(k for k in ("protocol", "protocols") if k in m) or "neither"
            r.error(node, "a credential set needs exactly one of protocol, protocols", given)
            protocols: list[str] = []
        elif "protocol" in m:
            one = r.choice(m.get("protocol"), "protocol", choices)
            protocols = [one] if one is not None else []
        else:
            protocols = r.items(
                m.get("protocols"), "protocols", lambda n: r.choice(n, "protocol", choices)
            )
        vendor = self.vendor_ref(r, m.get("vendor"))
        pairs: list[CredentialPair] = []
        for pair_node in r.seq(m.get("pairs"), "pairs") or () if "pairs" in m else ():
            pair = self.pair(r, pair_node)
            if pair is None:
                continue
            if any((p.username, p.password) == (pair.username, pair.password) for p in pairs):
                r.error(pair_node, "duplicate credential pair", f"{pair.username}/{pair.password}")
            else:
                pairs.append(pair)
        if "description" in m:
            r.string(m.get("description"), "description")
        if len(r.errors) > n0 or vendor is None:
            return None
        if not pairs:
            r.error(m["pairs"], "a credential set needs at least one pair", "[]")
            return None
        src = r.source(node)
        return [
            CredentialEntry(vendor, CredentialProtocol(p), tuple(pairs), src)
            for p in dict.fromkeys(protocols)
        ]

    def port(self, r: _Reader, node: yaml.Node) -> PortInfo | None:
        n0 = len(r.errors)
        m = r.mapping(node, "port", ("port", "protocol", "name", "description"))
        if m is None:
            return None
        number = r.integer(m.get("port"), "port", 1, 65535)
        proto = r.choice(m.get("protocol"), "protocol", [p.value for p in PORT_PROTOCOLS])
        name = r.string(m.get("name"), "name")
        description = r.string(m.get("description"), "description")
        if (
            len(r.errors) > n0
            or number is None
            or proto is None
            or name is None
            or description is None
        ):
            return None
        if not self._unique(r, m["port"], "port", str(number)):
            return None
        return PortInfo(number, Protocol(proto), name, description)

    def route(self, r: _Reader, node: yaml.Node) -> str | None:
        text = r.string(node, "route")
        if text is not None and not _ROUTE.fullmatch(text):
            r.error(node, "a route must start with '/' and be printable ASCII without spaces", text)
            return None
        return text

    def route_list(self, r: _Reader, node: yaml.Node | None, what: str) -> list[str]:
        routes = r.items(node, what, lambda n: self.route(r, n))
        if len(set(routes)) != len(routes):
            dup = next(x for x in routes if routes.count(x) > 1)
            r.error(node if node is not None else 0, f"duplicate route in {what}", dup)
        return list(dict.fromkeys(routes))

    def vendor_routes(self, r: _Reader, node: yaml.Node) -> VendorRoutes | None:
        n0 = len(r.errors)
        m = r.mapping(
            node,
            "vendor routes",
            ("vendor", "main"),
            ("sub", "http_login", "http_protected", "reference", "note"),
        )
        if m is None:
            return None
        vendor = self.vendor_ref(r, m.get("vendor"))
        main = self.route_list(r, m.get("main"), "main")
        sub = self.route_list(r, m.get("sub"), "sub")
        http_login = self.route_list(r, m.get("http_login"), "http_login")
        http_protected = self.route_list(r, m.get("http_protected"), "http_protected")
        if "reference" in m:
            r.url(m.get("reference"), "reference")
        if "note" in m:
            r.string(m.get("note"), "note")
        if len(r.errors) > n0 or vendor is None:
            return None
        if vendor == GENERIC:
            r.error(m["vendor"], "generic routes go in the generic list", vendor)
            return None
        if not main:
            r.error(m["main"], "main needs at least one route", "[]")
            return None
        if not self._unique(r, m["vendor"], "route table for vendor", vendor):
            return None
        return VendorRoutes(
            vendor,
            tuple(main),
            tuple(sub),
            r.source(node),
            tuple(http_login),
            tuple(http_protected),
        )

    def routes(self, r: _Reader, node: yaml.Node) -> None:
        m = r.mapping(node, "routes", (), ("generic", "vendors"))
        if m is None:
            return
        generic = self.route_list(r, m.get("generic"), "generic")
        if len(generic) > MAX_GENERIC_ROUTES:
            r.error(
                m["generic"],
                f"the generic route list is capped at {MAX_GENERIC_ROUTES} "
                "routes (each costs a request per RTSP port)",
                str(len(generic)),
            )
        else:
            self.layer.generic_routes.extend(
                x for x in generic if x not in self.layer.generic_routes
            )
        self.layer.vendor_routes.extend(
            r.items(m.get("vendors"), "vendors", lambda n: self.vendor_routes(r, n))
        )
