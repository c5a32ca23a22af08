"""Positions from the extractor's own span codegen equal libcst's ``ByteSpanPositionProvider``.

Why: the extractor no longer resolves the provider (it cost more than the parse); it must still
give every node exactly the offsets the provider would, and the same line/column conversion, on
the inputs where offsets are easy to get wrong: multi-byte characters, other encodings, CRLF,
tabs, a BOM, no trailing newline, and libcst's dropped whitespace before ``except X :``.
"""

from __future__ import annotations

import bisect

import libcst as cst
import pytest
from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper

from privlint.facts.extract import _plain_string, _Positions, _spans

SOURCES = {
    "unicode": "π = 3\n名前 = 'テスト 🎉' + str(π)\ndef 関数(ü, *a, **k):\n"
               "    return f'{ü!r:>10} → {名前} {\"😀\"}' + \"\"\"\n多行\"\"\"\n"
               "class Ç:\n    x: int = 1\n    def m(self): return (lambda q: q)(名前)\n",
    "crlf": "import socket\r\ndef f():\r\n    h = socket.gethostname()\r\n    return {'h': h}\r\n",
    "tabs": "if True:\n\tx = 1\n\tif x:\n\t\ty = (x,\n\t\t  2)\n\x0cz = [i for i in range(3) if i]\n",
    "except_colon": "try:\n    pass\nexcept ValueError :\n    x = 'é' ; y = x\n",
    "no_eol": "a = b'\\xff' ; c = 1j ; d = ... ; e = a[1:] ; f = a[::2]\nx = (y := 3)\nraise",
    "syntax": "@decorator(1)\nasync def h(a, /, b=2, *, c):\n    async with a as b, c:\n        await b\n"
              "    match a:\n        case [x, *rest] if x: pass\n        case {'k': v, **kw}: pass\n"
              "x = a if b else \\\n    c\n# only a comment\n",
    "empty": "",
    "comment_only": "# é\n",
    "ascii_comment": "# c",
    "blank_lines": "\n\n",
    "one_space": " ",
    "no_eol_ascii": "x = 1",
}
ENCODED = {
    "latin1": "# -*- coding: latin-1 -*-\nx = 'café'\ndef f(a):\n    return a + 'déjà'\n".encode("latin-1"),
    "bom": b"\xef\xbb\xbf" + "s = 'héllo'; t = s\nimport os\nos.getenv('X')\n".encode(),
}


def _cases() -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in SOURCES.items()] + list(ENCODED.items())


def _reference_point(source: bytes, starts: list[int], offset: int) -> tuple[int, int]:
    """The extractor's conversion before it had its own spans (kept here as the oracle)."""
    idx = bisect.bisect_right(starts, offset) - 1
    return idx + 1, len(source[starts[idx]:offset].decode("utf-8", "replace")) + 1


@pytest.mark.parametrize(("name", "source"), _cases(), ids=[c[0] for c in _cases()])
def test_spans_and_positions_equal_the_provider(name: str, source: bytes) -> None:
    module = cst.parse_module(source)
    provider = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ByteSpanPositionProvider)
    spans, code = _spans(module)
    pos = _Positions(source, spans, code)
    starts = [0] + [i + 1 for i, b in enumerate(source) if b == 10]
    assert provider
    for node, span in provider.items():
        start, end = spans[id(node)]
        if pos.byte_of is not None:
            start, end = pos.byte_of[start], pos.byte_of[end]
        assert (start, end - start) == (span.start, span.length), (name, type(node).__name__)
        expected = (*_reference_point(source, starts, span.start),
                    *_reference_point(source, starts, span.start + span.length))
        assert pos.of(node) == expected, (name, type(node).__name__)


@pytest.mark.parametrize("text", [
    "''", '""', "'a'", '"a b"', "'''x'''", '"""\nmulti\n"""', '""""q"""', "r'a'", "R'a'", "u'x'",
    "b'abc'", "Br'x'", "rb'y'", "'é'", "'\\n'", "b'\\xff'", "'a\\\\b'", "\"it's\"", "''''''",
])
def test_plain_strings_equal_literal_eval(text: str) -> None:
    node = cst.parse_expression(text)
    assert isinstance(node, cst.SimpleString)
    got = _plain_string(text)
    if got is not None:
        value = node.evaluated_value
        assert got == (value.decode("latin-1") if isinstance(value, bytes) else value)
    else:
        assert "\\" in text or "\r" in text
