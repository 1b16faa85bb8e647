"""Command-line options of the router stage, kept here so cli.py only calls two functions."""

from __future__ import annotations

import argparse
import ipaddress
import urllib.parse
from collections.abc import Sequence

from scanner.router.config import RouterOptions

__all__ = ["add_router_options", "parse_gateway", "router_options"]


def parse_gateway(text: str) -> str:
    """A --gateway value: an IPv4 address or the http URL of its IGD description."""
    text = text.strip()
    host = text
    if "://" in text:
        url = urllib.parse.urlsplit(text)
        if url.scheme != "http" or not url.hostname:
            raise argparse.ArgumentTypeError(f"not an http URL of a description: {text!r}")
        host = url.hostname
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IPv4 address: {host!r}") from None
    if address.is_global or address.is_multicast or address.is_unspecified:
        raise argparse.ArgumentTypeError(
            f"{address} is not a private or local address: a home router's LAN side is"
        )
    return text


def add_router_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group(
        "router (read only: the forwards of the network's router, docs/checks.md)"
    )
    group.add_argument(
        "--no-router",
        action="store_true",
        help="do not ask the router (UPnP IGD, NAT-PMP) for its port forwards",
    )
    group.add_argument(
        "--gateway",
        action="append",
        type=parse_gateway,
        metavar="ADDR",
        help="a router to read besides the default gateway (an address, or its UPnP "
        "description URL); repeatable",
    )


def router_options(
    args: argparse.Namespace, *, gateways: Sequence[str] = ()
) -> RouterOptions | None:
    """``ScanConfig.router`` from the command line: None with --no-router."""
    if getattr(args, "no_router", False):
        return None
    return RouterOptions(
        gateways=(*(getattr(args, "gateway", None) or ()), *gateways),
        search=not getattr(args, "no_ssdp", False),
        timeout=min(getattr(args, "discovery_timeout", 2.0), 5.0),
        request_timeout=getattr(args, "read_timeout", 3.0),
    )
