"""Principals and what they may do: operator roles, the scopes each role implies, and the scope vocabulary.

Three kinds of principal call the hub:

* **operators** — people and tools of the hub's owner, on keys *without* a tenant, each holding exactly one
  role: ``viewer`` (reads everything, every tenant, changes nothing), ``operator`` (a viewer who also replays
  dead letters, acknowledges and resolves exceptions, decides conflicts, disables and enables endpoints) and
  ``admin`` (everything, including keys and configuration);
* **partners** — each a tenant, on keys *with* that tenant and explicit scopes; they see only their tenant;
* **portal customers** — a key with a tenant (the customer's Odoo partner) and the ``portal`` scope.

A role is a scope on the key (``viewer``, ``operator``, ``admin``) that *implies* other scopes; every route
names the one scope it needs (:data:`ROUTE_SCOPES` lists the vocabulary) and :func:`effective_scopes` turns
what a key holds into what it may do. Prices and costs (``pricing:read``) are not implied by ``viewer`` or
``operator``: grant it explicitly. ``events:write`` implies ``exceptions:write`` so a partner can work its
own exceptions, as before roles existed.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ADMIN",
    "CONFLICTS_RESOLVE",
    "DLQ_REPLAY",
    "ENDPOINTS_WRITE",
    "EVENTS_READ",
    "EVENTS_WRITE",
    "EXCEPTIONS_WRITE",
    "IMPLIED",
    "OPERATOR",
    "OPERATOR_ONLY",
    "OPS_READ",
    "PARTNER_SCOPES",
    "PORTAL",
    "PRICING_READ",
    "ROLES",
    "ROLE_SCOPES",
    "ROUTE_SCOPES",
    "SHIPMENTS_READ",
    "VIEWER",
    "effective_scopes",
    "is_operator_principal",
    "role_of",
]

#: ingest events (``POST /v1/events``, batches, EDI uploads)
EVENTS_WRITE = "events:write"
#: read events, deliveries, exceptions, conflicts, SLA timers and flows (of one's tenant)
EVENTS_READ = "events:read"
#: read shipments (portal views)
SHIPMENTS_READ = "shipments:read"
#: see prices and costs in responses, exports and outbound webhooks
PRICING_READ = "pricing:read"
#: replay dead-lettered deliveries
DLQ_REPLAY = "dlq:replay"
#: acknowledge and resolve exceptions
EXCEPTIONS_WRITE = "exceptions:write"
#: accept or reject system-of-record conflicts
CONFLICTS_RESOLVE = "conflicts:resolve"
#: read operator views: endpoints with breaker state, notifications
OPS_READ = "ops:read"
#: disable and enable destinations
ENDPOINTS_WRITE = "endpoints:write"
#: a customer signing in to the web portal, limited to the key's tenant
PORTAL = "portal"

#: the operator roles, least to most privileged
VIEWER = "viewer"
OPERATOR = "operator"
ADMIN = "admin"
ROLES = (VIEWER, OPERATOR, ADMIN)

#: every scope a route may require (roles are not route scopes; ``admin`` passes every check)
ROUTE_SCOPES = frozenset(
    {
        EVENTS_WRITE,
        EVENTS_READ,
        SHIPMENTS_READ,
        PRICING_READ,
        DLQ_REPLAY,
        EXCEPTIONS_WRITE,
        CONFLICTS_RESOLVE,
        OPS_READ,
        ENDPOINTS_WRITE,
        PORTAL,
    }
)

#: scopes about the whole hub (every endpoint, every tenant's conflicts): never on a partner's key
OPERATOR_ONLY = frozenset({OPS_READ, ENDPOINTS_WRITE, CONFLICTS_RESOLVE})
#: scopes a partner's (tenant) key may carry
PARTNER_SCOPES = ROUTE_SCOPES - OPERATOR_ONLY

_VIEWER_SCOPES = frozenset({EVENTS_READ, SHIPMENTS_READ, OPS_READ})
#: scopes each role implies (``admin`` implies all of them: it passes every check)
ROLE_SCOPES: dict[str, frozenset[str]] = {
    VIEWER: _VIEWER_SCOPES,
    OPERATOR: _VIEWER_SCOPES | {DLQ_REPLAY, EXCEPTIONS_WRITE, CONFLICTS_RESOLVE, ENDPOINTS_WRITE},
    ADMIN: ROUTE_SCOPES,
}
#: scopes implied by another scope a partner holds
IMPLIED: dict[str, frozenset[str]] = {EVENTS_WRITE: frozenset({EXCEPTIONS_WRITE})}


def effective_scopes(granted: Iterable[str]) -> frozenset[str]:
    """What holding ``granted`` allows: the scopes themselves, the scopes their roles imply, and
    :data:`IMPLIED` ones."""
    held = frozenset(granted)
    out = set(held)
    for scope in held:
        out |= ROLE_SCOPES.get(scope, frozenset())
        out |= IMPLIED.get(scope, frozenset())
    return frozenset(out)


def role_of(scopes: Iterable[str]) -> str | None:
    """The highest operator role among ``scopes`` (``None``: not an operator key)."""
    held = set(scopes)
    for role in reversed(ROLES):
        if role in held:
            return role
    return None


def is_operator_principal(tenant: str | None, scopes: Iterable[str]) -> bool:
    """Whether a caller sees every tenant: an operator (a key without a tenant — such a key always carries
    a role, see :func:`tradelane.security.keyring.create_api_key` — or a token narrowed from one), or any
    holder of ``admin``."""
    return tenant is None or ADMIN in set(scopes)
