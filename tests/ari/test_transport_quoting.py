"""The request target's fast quoting must encode exactly as urllib does, for any text."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from hypothesis import given
from hypothesis import strategies as st

from acd.ari.transport import encode_query, segment

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["chan-1.2_3~x", "PJSIP/agent1", "a b", "x&y=z", "100%", "é", "", "+33 1 23", "agent,abc#2"]
)


@given(TEXT)
def test_segment_quotes_as_urllib(value: str) -> None:
    assert segment(value) == quote(value, safe=":@")


@given(st.dictionaries(TEXT, TEXT, max_size=5))
def test_query_encodes_as_urlencode(params: dict[str, str]) -> None:
    assert encode_query(params) == urlencode(params, quote_via=quote)
