"""Columns sealed at rest with AES-256-GCM (PIPL: a child's ID numbers and custody notes, issue 11).

A sealed value is `sealed:v1:<key id>:<base64 of nonce + ciphertext + tag>`. The associated data is the column's
purpose (`<table>.<column>`), so a value copied into another column fails to open. Keys come from a secret as
`<id>:<base64 of 32 bytes>` items separated by commas, the first sealing and all of them opening: rotation is a new
key put first and a restart, after which `reseal` moves every row to it and the old key can be dropped.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

PREFIX = "sealed:v1:"
NONCE_BYTES = 12
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")

DEV_FIELD_KEYS = "dev:" + base64.b64encode(b"development-only-field-key-32byt").decode()
"""Development and tests only: production refuses it, as it refuses the development JWT secret."""


class SealError(ValueError):
    """A sealed value cannot be opened: unknown key, tampered, or moved from another column."""


@dataclass(frozen=True)
class FieldCipher:
    """A key ring: the first key seals, every key opens."""

    keys: dict[str, bytes]
    current: str

    def seal(self, plaintext: str, purpose: str) -> str:
        """The sealed form of `plaintext` for the column `purpose`, under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        body = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{self.current_prefix}{base64.b64encode(nonce + body).decode()}"

    def open(self, sealed: str, purpose: str) -> str:
        """The plaintext of a value sealed for `purpose`; SealError if it is not one."""
        key_id, blob = _parts(sealed)
        key = self.keys.get(key_id)
        if key is None:
            raise SealError(f"sealed with key '{key_id}', which is not in the key ring")
        try:
            raw = base64.b64decode(blob, validate=True)
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise SealError(f"a value of {purpose} does not open (tampered or from another column)") from error

    @property
    def current_prefix(self) -> str:
        """How every value sealed under the current key begins."""
        return f"{PREFIX}{self.current}:"

    def is_current(self, sealed: str) -> bool:
        """Whether the value is sealed under the current key (nothing to reseal)."""
        return sealed.startswith(self.current_prefix)


def _parts(sealed: str) -> tuple[str, str]:
    if not sealed.startswith(PREFIX):
        raise SealError("the value is not sealed")
    key_id, _, blob = sealed[len(PREFIX) :].partition(":")
    return key_id, blob


def parse_field_keys(spec: str) -> FieldCipher:
    """The key ring of `<id>:<base64 32 bytes>[,<id>:<base64 32 bytes>…]`; ValueError naming what is wrong."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in spec.split(",")):
        key_id, _, encoded = item.partition(":")
        if not _KEY_ID.match(key_id):
            raise ValueError(f"a field key needs an id of 1–16 letters, digits, '-' or '_', got '{key_id}'")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise ValueError(f"field key '{key_id}' is not base64") from error
        if len(key) != KEY_BYTES:
            raise ValueError(f"field key '{key_id}' has {len(key)} bytes; AES-256 needs {KEY_BYTES}")
        if key_id in keys:
            raise ValueError(f"field key '{key_id}' is given twice")
        keys[key_id] = key
    return FieldCipher(keys, current=next(iter(keys)))


def new_field_key(key_id: str) -> str:
    """A fresh `<id>:<base64>` item for the secret (`afterschool field-key`)."""
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


_CIPHER_ATTRIBUTE = "afterschool_field_cipher"


def attach(engine: AsyncEngine, cipher: FieldCipher) -> None:
    """Seal and open this engine's sealed columns with `cipher`: each engine has its own dialect, so each service's
    database carries its own key ring, even when the all-in-one runs every service in one process."""
    setattr(engine.sync_engine.dialect, _CIPHER_ATTRIBUTE, cipher)


def _cipher_of(dialect: Dialect) -> FieldCipher:
    cipher = getattr(dialect, _CIPHER_ATTRIBUTE, None)
    if cipher is None:
        raise SealError("this database has no field cipher attached (chassis.crypto.attach)")
    assert isinstance(cipher, FieldCipher)
    return cipher


class SealedText(TypeDecorator[str]):
    """A text column stored sealed; the ORM and Core read and write plaintext."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """Seal on the way in."""
        return None if value is None else _cipher_of(dialect).seal(value, self.purpose)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """Open on the way out."""
        return None if value is None else _cipher_of(dialect).open(str(value), self.purpose)


def sealed_columns(metadata: sa.MetaData) -> Iterator[tuple[sa.Table, sa.Column[Any], str]]:
    """Every sealed column of a service's tables, with its purpose."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, SealedText):
                yield table, column, column.type.purpose


async def reseal(engine: AsyncEngine, metadata: sa.MetaData, *, batch: int = 500) -> int:
    """Seal every value not yet under the current key (a plaintext left by an older release, or a rotated key); the
    number of values changed. Runs at start, after the migrations, so a rotation needs only a restart."""
    cipher = _cipher_of(engine.sync_engine.dialect)
    changed = 0
    for table, column, purpose in sealed_columns(metadata):
        key = list(table.primary_key.columns)
        raw = sa.type_coerce(column, sa.Text)  # the stored text, not opened
        stale = sa.and_(column.is_not(None), sa.not_(raw.startswith(cipher.current_prefix)))
        while True:
            async with engine.begin() as conn:
                rows = (await conn.execute(sa.select(*key, raw.label("raw")).where(stale).limit(batch))).all()
                for row in rows:
                    text = row.raw if not row.raw.startswith(PREFIX) else cipher.open(row.raw, purpose)
                    where = sa.and_(*(c == getattr(row, c.name) for c in key))
                    fresh = sa.literal(cipher.seal(text, purpose), sa.Text)
                    await conn.execute(sa.update(table).where(where).values({column.name: fresh}))
            changed += len(rows)
            if len(rows) < batch:
                break
    return changed
