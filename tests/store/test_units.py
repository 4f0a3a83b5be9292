"""Pure helpers: number normalisation, secrets, the journal's line format (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.config import DatabaseSettings
from acd.engine.effects import CallEventRecord
from acd.store.crypto import SecretBox, SecretKeyError, generate_secret_key, needs_rehash, secret_box
from acd.store.journal import Journal, decode, encode
from acd.store.numbers import customer_key, normalise_number
from tests.store.factories import a_call_stream, event


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+1 (555) 010-0001", "+15550100001"),
        ("0044 20 7946 0000", "+442079460000"),
        ("01.23.45.67.89", "0123456789"),
    ],
)
def test_numbers_have_one_spelling(raw: str, normalised: str) -> None:
    assert normalise_number(raw) == normalised


def test_what_is_not_a_number() -> None:
    for raw in ("", "12", "anonymous", "+1 555 CALL NOW", "+" + "1" * 21):
        with pytest.raises(ValueError):
            normalise_number(raw)
    assert customer_key("anonymous") is None and customer_key(None) is None


def test_sip_secrets_need_the_right_key() -> None:
    box = SecretBox(generate_secret_key())
    token = box.encrypt("s3cret")
    assert box.decrypt(token) == "s3cret" and b"s3cret" not in token
    with pytest.raises(SecretKeyError, match="not the key"):
        SecretBox(generate_secret_key()).decrypt(token)
    with pytest.raises(SecretKeyError, match="not a valid Fernet key"):
        SecretBox("not-a-key")
    with pytest.raises(SecretKeyError, match="acd db gen-key"):
        secret_box(DatabaseSettings(secret_key=None))


def test_a_foreign_hash_needs_rehash() -> None:
    assert needs_rehash("$2b$12$bcrypt-hash")


def test_journal_lines_round_trip_and_a_prefix_never_decodes() -> None:
    for record in a_call_stream(1):
        line = encode(record)
        assert line.endswith("\n") and decode(line) == record
        for cut in range(1, len(line) - 1):
            with pytest.raises(ValueError):
                decode(line[:cut])


def test_journal_segments_rotate_and_never_reuse_a_name(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_max_bytes=1)
    journal.scan()
    journal.append([event("c1", "entered-queue", 1.0)])
    journal.append([event("c2", "entered-queue", 2.0)])
    assert [s.path.name for s in journal.segments] == ["seg-000000000001.jsonl", "seg-000000000002.jsonl"]
    other = Journal(tmp_path)  # a second writer that has not scanned the directory
    other.append([event("c3", "entered-queue", 3.0)])
    assert other.segments[0].path.name == "seg-000000000003.jsonl"
    journal.scan()
    assert journal.records == 3
    read_back = [r for s in journal.segments for r in journal.read(s).records]
    assert [r.call_id for r in read_back if isinstance(r, CallEventRecord)] == ["c1", "c2", "c3"]
