"""`parse_literal` (the fast JSON route for Python-literal cells) must give exactly what `ast.literal_eval` gives,
for any value shaped like the raw nested cells, and refuse what is not a literal."""
import ast, warnings
import pytest
from hypothesis import given, settings, strategies as st
from movierec.etl import parse_literal, parse_nested

# text with the characters that matter: both quotes, backslashes, colons, commas, braces, the words None/True/False
tricky_text = st.text(alphabet=st.sampled_from(list("ab '\"\\:,{}[]NoneTrueFalsé\t\n\x00ø")) | st.characters(), max_size=30)
scalar = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False) | tricky_text
item = st.dictionaries(st.sampled_from(['id', 'name', 'character', 'profile_path', 'job', 'order', 'x']) | tricky_text,
                       scalar, max_size=6)
cell = st.lists(item, max_size=6) | item


@settings(max_examples=2000, deadline=None)
@given(cell)
def test_same_as_literal_eval(v):
    s = repr(v)
    got = parse_literal(s)
    assert got == ast.literal_eval(s)
    assert repr(got) == s          # same types too (int vs float vs bool, None)


def _mutate(v, i, j, ins):
    s = repr(v); i, j = sorted((i % (len(s) + 1), j % (len(s) + 1)))
    return s[:i] + ins + s[j:]

near_cells = st.builds(_mutate, cell, st.integers(0, 500), st.integers(0, 500),
                       st.sampled_from(['', "'", '"', 'null', 'true', 'NaN', ', ', ': None', '\\', ']', '(', 'x', '\n']))

@settings(max_examples=3000, deadline=None)
@given(st.text(max_size=40) | near_cells)
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")
def test_never_more_lenient_on_garbage(s):
    "On arbitrary or damaged cells, either both refuse, or both give the same value."
    try: expected = ast.literal_eval(s)
    except Exception: expected = ValueError
    try: got = parse_literal(s)
    except ValueError: got = ValueError
    assert got == expected or repr(got) == repr(expected), (s, got, expected)


def test_never_evaluates_code(tmp_path):
    marker = tmp_path/'pwned'
    vals, bad = parse_nested([f"__import__('pathlib').Path({str(marker)!r}).touch()", "[{'id': 1}]"])
    assert not marker.exists() and list(bad) == [True, False] and vals == [[], [{'id': 1}]]
