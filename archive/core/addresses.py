"""Which network addresses a crawl may ask (DESIGN §5, Hostile sites): a pure judgement on IP addresses, no I/O.

A page's requisites may come from hosts other than the site's (CDNs), but a hostile page must not point the crawler
at the operator's own network: loopback, private, link-local (a cloud's metadata address, 169.254.169.254) or
otherwise reserved addresses are refused, unless they lie in the site's own range — a site on 127.0.0.1 may use
127.0.0.0/8, a site on 192.168.1.5 may use 192.168.0.0/16; a public site may use nothing of the kind.

The caller resolves names (crawler/middlewares/addresses.py); here an address is judged, and an IP literal in a URL's
host is recognised so that it is judged without any DNS query.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# the blocks a private site's own range is taken from (RFC 1918, RFC 4193, RFC 6598's shared space)
PRIVATE_BLOCKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))
LOOPBACK_BLOCKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
LINK_LOCAL_BLOCKS = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
BLOCKS = {"loopback": LOOPBACK_BLOCKS, "link-local": LINK_LOCAL_BLOCKS, "private": PRIVATE_BLOCKS}


def literal(host: str | None) -> Address | None:
    """The IP address a URL's host names literally (`10.0.0.1`, `[::1]`, `::ffff:10.0.0.1`), or None for a name."""
    host = (host or "").strip().strip("[]")
    if "%" in host:  # an IPv6 zone (fe80::1%eth0)
        host = host.split("%", 1)[0]
    try:
        return _unmapped(ipaddress.ip_address(host))
    except ValueError:
        return None


def _unmapped(address: Address) -> Address:
    """An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it carries."""
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def kind(address: Address) -> str | None:
    """Why an address is not public — "loopback", "link-local", "private" or "reserved" — or None when it is."""
    address = _unmapped(address)
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if any(address in block for block in PRIVATE_BLOCKS if block.version == address.version):
        return "private"
    if not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified:
        return "reserved"
    return None


def own_range(addresses: Iterable[Address]) -> tuple[Network, ...]:
    """The networks a site on these addresses may also use: the loopback, private or link-local block each non-public
    address lies in (another reserved address: itself only); nothing for a public site."""
    ranges: list[Network] = []
    for address in map(_unmapped, addresses):
        found = kind(address)
        if found is None:
            continue
        blocks = BLOCKS.get(found, ())
        block = next((b for b in blocks if address.version == b.version and address in b), None)
        ranges.append(block or ipaddress.ip_network(address))
    return tuple(dict.fromkeys(ranges))


def refusal(addresses: Iterable[Address], allowed: Iterable[Network] = ()) -> tuple[str, Address] | None:
    """(reason, address) for the first address a crawl may not ask — not public and outside `allowed` — or None
    when every one may be asked. A host is refused when any of its addresses is."""
    allowed = tuple(allowed)
    for address in map(_unmapped, addresses):
        reason = kind(address)
        if reason is not None and not any(address.version == n.version and address in n for n in allowed):
            return reason, address
    return None


REASONS = ("loopback", "private", "link-local", "reserved", "unresolved")  # why a request was refused
STAT = "arshif/refused/"  # + reason: the requests the crawl refused, by why (crawler/middlewares/addresses.py)


def refusals_line(stats: dict) -> str | None:
    """What the address rules refused in a run, said in one line from its stats (its log's last lines, and the
    crawl's summary), or None when they refused nothing."""
    counts = {key[len(STAT):]: int(n) for key, n in stats.items() if key.startswith(STAT) and n}
    if not counts:
        return None
    said = ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))
    return (f"refused {sum(counts.values())} request(s) to forbidden addresses: {said} "
            "(ARSHIF_ALLOW_PRIVATE_HOSTS lifts the ban for named hosts)")
