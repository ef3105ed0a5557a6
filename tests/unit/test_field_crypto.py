"""The field cipher's rules (PIPL, issue 11): AES-256-GCM, bound to its column, keys rotated by putting one first."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from chassis.crypto import DEV_FIELD_KEYS, PREFIX, SealError, new_field_key, parse_field_keys
from services.enrollment.settings import EnrollmentSettings

pytestmark = pytest.mark.unit

ID_NUMBER = "110101195001011234"


def test_a_sealed_value_opens_only_for_its_own_column_and_hides_its_plaintext() -> None:
    cipher = parse_field_keys(new_field_key("k1"))
    sealed = cipher.seal(ID_NUMBER, "pickup_persons.id_number")
    assert sealed.startswith(f"{PREFIX}k1:")
    assert ID_NUMBER not in sealed
    assert cipher.seal(ID_NUMBER, "pickup_persons.id_number") != sealed  # a fresh nonce each time
    assert cipher.open(sealed, "pickup_persons.id_number") == ID_NUMBER
    with pytest.raises(SealError, match="another column"):
        cipher.open(sealed, "pickup_persons.note")


def test_a_tampered_or_unsealed_value_is_refused() -> None:
    cipher = parse_field_keys(new_field_key("k1"))
    sealed = cipher.seal("order 2", "pickup_persons.note")
    blob = bytearray(base64.b64decode(sealed.rsplit(":", 1)[1]))
    blob[-1] ^= 1
    tampered = f"{PREFIX}k1:{base64.b64encode(bytes(blob)).decode()}"
    with pytest.raises(SealError):
        cipher.open(tampered, "pickup_persons.note")
    with pytest.raises(SealError, match="not sealed"):
        cipher.open("order 2", "pickup_persons.note")


def test_the_first_key_seals_and_every_key_opens() -> None:
    old_key = new_field_key("k2025")
    sealed_before = parse_field_keys(old_key).seal(ID_NUMBER, "c")
    both = parse_field_keys(f"{new_field_key('k2026')},{old_key}")
    assert both.current == "k2026"
    assert both.open(sealed_before, "c") == ID_NUMBER
    assert not both.is_current(sealed_before)
    assert both.is_current(both.seal(ID_NUMBER, "c"))
    with pytest.raises(SealError, match="k2025"):
        parse_field_keys(new_field_key("k2026")).open(sealed_before, "c")


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("k1:" + base64.b64encode(b"short").decode(), "32"),
        ("k1:not-base64!", "base64"),
        (":" + base64.b64encode(bytes(32)).decode(), "id"),
        (f"{new_field_key('k1')},{new_field_key('k1')}", "twice"),
    ],
)
def test_a_malformed_key_ring_is_refused_with_what_is_wrong(spec: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_field_keys(spec)


def test_production_refuses_the_development_field_key() -> None:
    def production(**keys: str) -> EnrollmentSettings:
        return EnrollmentSettings.model_validate(
            {
                "environment": "production",
                "database_url": "postgresql+asyncpg://h/db",
                "bus": "kafka",
                "jwt_algorithm": "RS256",
                "jwt_jwks_url": "https://idp.example/jwks",
                **keys,
            }
        )

    with pytest.raises(ValidationError, match="development key"):
        production()
    with pytest.raises(ValidationError, match="development key"):
        production(field_keys=f"{new_field_key('k2')},{DEV_FIELD_KEYS}")
    assert production(field_keys=new_field_key("k2")).field_cipher().current == "k2"
    assert "field_keys" not in repr(EnrollmentSettings(environment="test"))
