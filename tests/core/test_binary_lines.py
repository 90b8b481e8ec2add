"""Line splitting of binary response bodies (``BinaryResponse.iter_lines``): whatever the chunking."""

from __future__ import annotations

import re

from hypothesis import given, strategies as st

from openai_kit._binary import _lines


def reference(text: str) -> list[str]:
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


@given(
    st.text(alphabet=st.sampled_from(["a", "é", "\r", "\n", "\u2028", " "]), max_size=40),
    st.lists(st.integers(min_value=0, max_value=40), max_size=6),
)
def test_lines_do_not_depend_on_where_chunks_split(text: str, cuts: list[int]) -> None:
    points = sorted({min(c, len(text)) for c in cuts})
    chunks = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert list(_lines(iter(chunks))) == reference(text)
