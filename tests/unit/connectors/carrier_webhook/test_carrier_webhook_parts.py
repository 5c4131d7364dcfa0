"""The carrier connector's hooks without a network: the signature scheme is the configured one (never
guessed), and milestones and proofs of delivery map through their own operations."""

from __future__ import annotations

import pytest

from tradelane.connectors.carrier_webhook import CarrierWebhookConnector, CarrierWebhookSettings
from tradelane.delivery.signing import SignatureError, generate_secret, sign, sign_github
from tradelane.mapping.loader import template_dir
from tradelane.testing.simulators import template_xrefs


def sample(name: str) -> bytes:
    return template_dir("carrier-webhook").joinpath("samples", name).read_bytes()


async def test_a_standard_webhook_is_verified_then_mapped() -> None:
    secret = generate_secret()
    connector = CarrierWebhookConnector(CarrierWebhookSettings(webhook_secrets=secret),
                                        template_xrefs("carrier-webhook"), clock=lambda: 1_800_000_000)
    body = sample("delivery_completed.json")
    parsed = await connector.receive(sign([secret], "msg_1", 1_800_000_000, body), body)
    (event,) = parsed.events
    assert event.type == "tradelane.shipment.delivered.v1" and event.to_wire()["data"]["pod"]["documents"]
    tracking = await connector.hooks.parse_tracking({}, sample("tracking_updated.json"))
    assert len(tracking.events) == 3


async def test_a_github_style_carrier_is_checked_with_its_scheme_only() -> None:
    secret = "a shared secret with spaces"
    settings = CarrierWebhookSettings(webhook_secrets=secret, signature_scheme="github")
    connector = CarrierWebhookConnector(settings, template_xrefs("carrier-webhook"))
    body = sample("tracking_updated.json")
    assert len((await connector.receive(sign_github(secret, body), body)).events) == 3
    with pytest.raises(SignatureError):  # a Standard Webhooks signature is not accepted for this carrier
        await connector.receive(sign([generate_secret()], "msg_1", 1_800_000_000, body), body)
