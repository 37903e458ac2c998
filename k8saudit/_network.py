"""Domain rules about addresses: which ones the internet can reach."""

from __future__ import annotations

import ipaddress

_NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
]


def is_public_ip(address: str | None) -> bool:
    """An address routable on the internet: not private, shared (CGNAT), loopback or link-local."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # a hostname
    return not any(ip in net for net in _NOT_PUBLIC if net.version == ip.version)
