"""Webhook signing and verification: official vectors, rotation, Stripe, and every malformed input."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradelane.core.errors import AuthError, ConfigError
from tradelane.delivery.signing import (
    SignatureError,
    SignatureScheme,
    generate_secret,
    sign,
    sign_github,
    sign_stripe,
    verify,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_BODY = b"Hello, World!"
GITHUB_EXPECTED = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

STRIPE_SECRET = "whsec_test_stripe_partner_secret"


def _headers(**overrides: str) -> dict[str, str]:
    headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(TS), "webhook-signature": EXPECTED}
    headers.update(overrides)
    return headers


# --- vectors --------------------------------------------------------------------------------------------


def test_official_vector_signs() -> None:
    headers = sign([SECRET], MSG_ID, TS, BODY)
    assert headers == {"webhook-id": MSG_ID, "webhook-timestamp": str(TS), "webhook-signature": EXPECTED}


def test_official_vector_verifies_and_returns_the_id() -> None:
    assert verify("standard", [SECRET], _headers(), BODY, TS) == MSG_ID
    assert verify(SignatureScheme.STANDARD, [SECRET], _headers(), BODY, TS + 299) == MSG_ID


def test_signing_with_a_non_utc_datetime_gives_the_same_signature() -> None:
    # the library signs wrongly for non-UTC aware datetimes; we convert to unix seconds first
    tokyo = datetime.fromtimestamp(TS, tz=timezone(timedelta(hours=9)))
    assert sign([SECRET], MSG_ID, tokyo, BODY)["webhook-signature"] == EXPECTED
    utc = datetime.fromtimestamp(TS, tz=UTC)
    assert sign([SECRET], MSG_ID, utc, BODY)["webhook-timestamp"] == str(TS)
    with pytest.raises(ValueError):
        sign([SECRET], MSG_ID, datetime(2021, 2, 21), BODY)


def test_github_vector() -> None:
    assert sign_github(GITHUB_SECRET, GITHUB_BODY) == {"X-Hub-Signature-256": GITHUB_EXPECTED}
    headers = {
        "X-Hub-Signature-256": GITHUB_EXPECTED,
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    assert (
        verify("github", [GITHUB_SECRET], headers, GITHUB_BODY, TS) == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    )
    assert (
        verify("github", [GITHUB_SECRET], {"x-hub-signature-256": GITHUB_EXPECTED}, GITHUB_BODY, TS) is None
    )
    with pytest.raises(SignatureError):
        verify("github", ["another secret"], headers, GITHUB_BODY, TS)
    with pytest.raises(SignatureError):
        verify("github", [GITHUB_SECRET], headers, GITHUB_BODY + b" ", TS)


def test_stripe_round_trip() -> None:
    body = b'{"id": "evt_1", "type": "charge.succeeded"}'
    headers = sign_stripe(STRIPE_SECRET, TS, body)
    # the key is the whole whsec_ string's bytes, and the signed payload is "t.body"
    digest = hmac.new(STRIPE_SECRET.encode(), f"{TS}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers == {"Stripe-Signature": f"t={TS},v1={digest}"}
    assert verify("stripe", [STRIPE_SECRET], headers, body, TS + 10) is None
    # extra v0 / unknown entries and several v1 entries are fine
    mixed = {"Stripe-Signature": f"t={TS},v0=deadbeef,v1={'0' * 64},v1={digest},x"}
    assert verify("stripe", [STRIPE_SECRET], mixed, body, TS) is None


@pytest.mark.parametrize(
    ("header", "now"),
    [
        (f"t={TS}", TS),  # no v1
        (f"v1={'a' * 64}", TS),  # no t
        (f"t={TS},t={TS},v1={'a' * 64}", TS),  # two timestamps
        (f"t={TS}.9,v1={'a' * 64}", TS),
        (f"t={TS},v1={'a' * 64}", TS + 301),  # stale
        (f"t={TS},v1={'a' * 64}", TS),  # wrong signature
        (f"t={TS},v1=zz", TS),
        ("", TS),
    ],
)
def test_stripe_rejections(header: str, now: int) -> None:
    with pytest.raises(SignatureError):
        verify("stripe", [STRIPE_SECRET], {"Stripe-Signature": header}, b"{}", now)


# --- rotation ---------------------------------------------------------------------------------------------


def test_rotation_emits_one_signature_per_secret_and_either_verifies() -> None:
    new_secret = generate_secret()
    headers = sign([SECRET, new_secret], MSG_ID, TS, BODY)
    entries = headers["webhook-signature"].split(" ")
    assert len(entries) == 2 and entries[0] == EXPECTED and entries[1].startswith("v1,")
    assert entries[0] != entries[1]
    assert verify("standard", [SECRET], headers, BODY, TS) == MSG_ID
    assert verify("standard", [new_secret], headers, BODY, TS) == MSG_ID
    # receiver that already rotated to [new, old] accepts the old-only signature too
    old_only = sign([SECRET], MSG_ID, TS, BODY)
    assert verify("standard", [new_secret, SECRET], old_only, BODY, TS) == MSG_ID
    with pytest.raises(SignatureError):
        verify("standard", [new_secret], old_only, BODY, TS)


def test_generate_secret_shape() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert generate_secret() != secret


def test_unknown_versions_and_malformed_entries_are_skipped() -> None:
    header = f"v2,abc v1 v1,!!! v1,{base64.b64encode(b'short').decode()} {EXPECTED}"
    assert verify("standard", [SECRET], _headers(**{"webhook-signature": header}), BODY, TS) == MSG_ID


def test_header_names_are_case_insensitive() -> None:
    headers = {"Webhook-Id": MSG_ID, "WEBHOOK-TIMESTAMP": str(TS), "Webhook-Signature": EXPECTED}
    assert verify("standard", [SECRET], headers, BODY, TS) == MSG_ID


def test_bytes_header_values_are_accepted() -> None:
    headers = {k: v.encode() for k, v in _headers().items()}
    assert verify("standard", [SECRET], headers, BODY, TS) == MSG_ID


def test_unrelated_headers_do_not_matter() -> None:
    headers = {**_headers(), "X-Note": "café", "accept": "a", "Accept": "b"}
    assert verify("standard", [SECRET], headers, BODY, TS) == MSG_ID


def test_signature_error_is_an_auth_error_with_a_reason() -> None:
    with pytest.raises(AuthError) as info:
        verify("standard", [SECRET], _headers(**{"webhook-signature": "v1"}), BODY, TS)
    assert isinstance(info.value, SignatureError)
    assert info.value.reason == "no_valid_signature_entry"


def test_unknown_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        verify("guess", [SECRET], _headers(), BODY, TS)


# --- malformed inputs: each must be a SignatureError -------------------------------------------------------

_WRONG_LENGTH_SECRET = "whsec_" + base64.b64encode(b"x" * 8).decode()

MALFORMED: list[tuple[str, list[str], Mapping[str, str | bytes], bytes, int]] = [
    ("missing id", [SECRET], {k: v for k, v in _headers().items() if k != "webhook-id"}, BODY, TS),
    (
        "missing timestamp",
        [SECRET],
        {k: v for k, v in _headers().items() if k != "webhook-timestamp"},
        BODY,
        TS,
    ),
    (
        "missing signature",
        [SECRET],
        {k: v for k, v in _headers().items() if k != "webhook-signature"},
        BODY,
        TS,
    ),
    ("empty id", [SECRET], _headers(**{"webhook-id": ""}), BODY, TS),
    ("no headers", [SECRET], {}, BODY, TS),
    ("v1 without comma", [SECRET], _headers(**{"webhook-signature": "v1"}), BODY, TS),
    ("v1 comma nothing", [SECRET], _headers(**{"webhook-signature": "v1,"}), BODY, TS),
    (
        "only unknown version",
        [SECRET],
        _headers(**{"webhook-signature": EXPECTED.replace("v1", "v2")}),
        BODY,
        TS,
    ),
    ("non-base64 signature", [SECRET], _headers(**{"webhook-signature": "v1,@@@@"}), BODY, TS),
    ("bad padding", [SECRET], _headers(**{"webhook-signature": EXPECTED.rstrip("=")}), BODY, TS),
    ("timestamp .9", [SECRET], _headers(**{"webhook-timestamp": f"{TS}.9"}), BODY, TS),
    ("timestamp leading space", [SECRET], _headers(**{"webhook-timestamp": f" {TS}"}), BODY, TS),
    ("timestamp trailing newline", [SECRET], _headers(**{"webhook-timestamp": f"{TS}\n"}), BODY, TS),
    ("timestamp nan", [SECRET], _headers(**{"webhook-timestamp": "nan"}), BODY, TS),
    ("timestamp inf", [SECRET], _headers(**{"webhook-timestamp": "inf"}), BODY, TS),
    ("timestamp exponent", [SECRET], _headers(**{"webhook-timestamp": "1e9"}), BODY, 1_000_000_000),
    ("timestamp exponent 2", [SECRET], _headers(**{"webhook-timestamp": "1.614265330e9"}), BODY, TS),
    ("timestamp leading zero", [SECRET], _headers(**{"webhook-timestamp": f"0{TS}"}), BODY, TS),
    ("timestamp negative", [SECRET], _headers(**{"webhook-timestamp": f"-{TS}"}), BODY, TS),
    ("timestamp plus", [SECRET], _headers(**{"webhook-timestamp": f"+{TS}"}), BODY, TS),
    ("timestamp arabic digits", [SECRET], _headers(**{"webhook-timestamp": "١٦١٤٢٦٥٣٣٠"}), BODY, TS),
    ("timestamp 13 digits", [SECRET], _headers(**{"webhook-timestamp": "1" * 13}), BODY, TS),
    ("timestamp 12 digits far future", [SECRET], _headers(**{"webhook-timestamp": "9" * 12}), BODY, TS),
    ("timestamp too old", [SECRET], _headers(), BODY, TS + 301),
    ("timestamp too new", [SECRET], _headers(), BODY, TS - 301),
    ("non-UTF-8 body", [SECRET], _headers(), b"\xff\xfe" + BODY, TS),
    ("wrong body", [SECRET], _headers(), BODY + b" ", TS),
    ("wrong id", [SECRET], _headers(**{"webhook-id": "msg_other"}), BODY, TS),
    ("non-ASCII id", [SECRET], _headers(**{"webhook-id": "msg_é"}), BODY, TS),
    ("non-ASCII signature", [SECRET], _headers(**{"webhook-signature": EXPECTED + " v1,é"}), BODY, TS),
    ("non-ASCII bytes header", [SECRET], {**_headers(), "webhook-id": b"\xff\xfe"}, BODY, TS),
    ("wrong-length secret", [_WRONG_LENGTH_SECRET], _headers(), BODY, TS),
    ("non-base64 secret", ["whsec_!!!not-base64!!!"], _headers(), BODY, TS),
    ("secret with a typo", ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"], _headers(), BODY, TS),
    ("non-ASCII secret", ["whsec_é"], _headers(), BODY, TS),
    ("empty secret", ["whsec_"], _headers(), BODY, TS),
    ("no secrets", [], _headers(), BODY, TS),
]


@pytest.mark.parametrize(
    ("secrets", "headers", "body", "now"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_input_is_a_signature_error(
    secrets: list[str], headers: Mapping[str, str | bytes], body: bytes, now: int
) -> None:
    with pytest.raises(SignatureError):
        verify("standard", secrets, headers, body, now)


def test_duplicate_signature_headers_in_different_case_are_refused() -> None:
    headers = {**_headers(), "Webhook-Signature": "v1,AAAA"}
    with pytest.raises(SignatureError, match="duplicate"):
        verify("standard", [SECRET], headers, BODY, TS)


@pytest.mark.parametrize(
    "header",
    [
        "sha256",
        "sha256=",
        "sha1=" + "a" * 40,
        "sha256=" + "g" * 64,
        "sha256=" + "a" * 63,
        " sha256=" + "a" * 64,
    ],
)
def test_github_malformed_headers(header: str) -> None:
    with pytest.raises(SignatureError):
        verify("github", [GITHUB_SECRET], {"X-Hub-Signature-256": header}, GITHUB_BODY, TS)


def test_sign_rejects_unusable_input() -> None:
    with pytest.raises(SignatureError):
        sign([], MSG_ID, TS, BODY)
    with pytest.raises(SignatureError):
        sign([_WRONG_LENGTH_SECRET], MSG_ID, TS, BODY)
    with pytest.raises(SignatureError):
        sign([SECRET], "has space", TS, BODY)
    with pytest.raises(SignatureError):
        sign([SECRET], MSG_ID, TS, b"\xff")


# --- fuzz ---------------------------------------------------------------------------------------------------

_header_value = st.one_of(st.text(max_size=80), st.binary(max_size=80))
_sig_like = st.one_of(
    _header_value,
    st.lists(
        st.tuples(
            st.sampled_from(["v1", "v2", "", "v1 "]),
            st.sampled_from([",", "", ",,", "="]),
            st.text(max_size=60),
        ),
        max_size=4,
    ).map(lambda parts: " ".join(a + b + c for a, b, c in parts)),
)
_ts_like = st.one_of(_header_value, st.integers().map(str), st.floats().map(str))


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["standard", "github", "stripe"]),
    msg_id=_header_value,
    timestamp=_ts_like,
    signature=_sig_like,
    body=st.binary(max_size=64),
    secret=st.one_of(st.just(SECRET), st.text(max_size=40)),
    now=st.integers(min_value=1, max_value=2**40),
)
def test_fuzzed_headers_only_ever_raise_signature_error(
    scheme: str,
    msg_id: str | bytes,
    timestamp: str | bytes,
    signature: str | bytes,
    body: bytes,
    secret: str,
    now: int,
) -> None:
    headers: dict[str, str | bytes] = {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
        "X-Hub-Signature-256": signature,
        "Stripe-Signature": signature,
    }
    try:
        verify(scheme, [secret], headers, body, now)
    except SignatureError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(max_size=200).map(str.encode), msg_id=st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
)
def test_sign_then_verify_round_trips(body: bytes, msg_id: str) -> None:
    headers = sign([SECRET], msg_id, TS, body)
    assert verify("standard", [SECRET], headers, body, TS) == msg_id
