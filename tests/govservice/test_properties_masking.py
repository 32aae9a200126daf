"""`scrub` leaves no mobile or ID number readable in any text, however the number is typed.

A number is *embedded* when it stands in text and is not glued to other digits (of either width) — and,
for a resident ID, not glued to letters either: a longer code that merely contains 18 digits is not an
ID. It may be typed in ASCII or full-width digits (１３８…, mixed too), with up to two separators — spaces,
dashes, dots, brackets, of either width — between its groups (3-4-4 for a mobile, 6-8-4 for an ID) or
between any two of its characters, and a mobile may carry a +86 / 86 / 0086 prefix, in brackets too.

A number *survives* when the output, with full-width characters read as ASCII and everything that is
neither a digit, X nor the mask's `*` removed (separators and the surrounding text), still holds a
run of the number's digits in order that is longer than the mask keeps: 5 for a mobile (the mask
keeps 3 and 4, apart) and 7 for an ID (6 and 4). The surrounding text here holds no digits and no X,
so every such run comes from the number.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from govservice.crypto import lookup_hash
from govservice.masking import scrub
from govservice.numbers import normalize_id_number, normalize_phone

EXAMPLES = settings(max_examples=150, deadline=None)  # ~1 s per test; each run draws new examples
FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")  # noqa: RUF001 - full-width on purpose
# None, space, hyphen, full-width space and hyphen, dots, dashes (en, em, minus sign), brackets, and pairs.
SEPARATORS = ["", " ", "-", "\u3000", "\uff0d", ".", "\uff0e", "\u00b7", "\u2013", "\u2014", "\u2212"]
SEPARATORS += ["(", ")", "\uff08", "\uff09", "[", "]", "\u3010", "\u3011", ") ", ". ", " - ", "\u2014\u2014"]
SEPARATORS.remove(" - ")  # three characters: more than a separator may be (two at most)
# Text around the numbers: Chinese, Latin letters (no X), punctuation, spaces; never a digit or a plus sign
# (a plus sign before 86… would make it part of the number's prefix).
FILLER = st.text(
    alphabet=st.sampled_from(list("申请人电话身份证号码已到窗口联系 abcdefghijklmnopqrstuvwyzABCW:：,，()（）/\n\t")),
    max_size=12,
)
# What may stand right next to an ID: a letter glued to it makes it part of a code.
ID_BOUNDARY = st.sampled_from(list(" ：:，,()（）\n") + ["号码 ", "证 "])


def to_ascii(text: str) -> str:
    return text.translate(FULL_WIDTH)


@dataclass(frozen=True)
class Typed:
    digits: str  # the number as a citizen's data holds it, ASCII
    text: str  # as typed in the text
    kind: str  # "mobile" | "id"
    left: str = ""  # what stands right before and after it (an ID's non-letter boundary)
    right: str = ""

    @property
    def embedded(self) -> str:
        return self.left + self.text + self.right


@st.composite
def spelled(draw: st.DrawFn, digits: str) -> str:
    """`digits` in any mix of ASCII and full-width characters."""
    wide = draw(st.lists(st.booleans(), min_size=len(digits), max_size=len(digits)))
    return "".join(chr(ord(c) + 0xFEE0) if w else c for c, w in zip(digits, wide, strict=True))


@st.composite
def grouped(draw: st.DrawFn, digits: str, sizes: tuple[int, ...]) -> str:
    typed = draw(spelled(digits))
    parts, at = [], 0
    for size in sizes:
        parts.append(typed[at : at + size])
        at += size
    return "".join(
        part + (draw(st.sampled_from(SEPARATORS)) if i < len(parts) - 1 else "") for i, part in enumerate(parts)
    )


@st.composite
def scattered(draw: st.DrawFn, digits: str) -> str:
    """`digits` in any width with a separator (or none) between any two of its characters."""
    typed = draw(spelled(digits))
    return typed[0] + "".join(draw(st.sampled_from(SEPARATORS)) + c for c in typed[1:])


def written(digits: str, sizes: tuple[int, ...]) -> st.SearchStrategy[str]:
    return st.one_of(grouped(digits, sizes), scattered(digits))


PREFIXES = ["", "86", "+86", "0086", "＋86", "００８６", "(+86)", "（+86）", "(0086)", "（８６）"]  # noqa: RUF001


@st.composite
def mobiles(draw: st.DrawFn) -> Typed:
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    prefix = draw(st.sampled_from(PREFIXES))
    if prefix:
        prefix += draw(st.sampled_from(SEPARATORS))
    return Typed(digits, prefix + draw(written(digits, (3, 4, 4))), "mobile")


@st.composite
def resident_ids(draw: st.DrawFn) -> Typed:
    digits = draw(st.text("0123456789", min_size=17, max_size=17)) + draw(st.sampled_from("0123456789X"))
    typed = draw(written(digits, (6, 8, 4)))
    if typed.endswith("X") and draw(st.booleans()):
        typed = typed[:-1] + "x"
    return Typed(digits, typed, "id", left=draw(ID_BOUNDARY), right=draw(ID_BOUNDARY))


def projection(text: str) -> str:
    return "".join(c for c in to_ascii(text) if c.isascii() and (c.isdigit() or c in "X*"))


def survives(number: Typed, output: str) -> bool:
    run = 5 if number.kind == "mobile" else 7
    kept = projection(output)
    return any(number.digits[i : i + run] in kept for i in range(len(number.digits) - run + 1))


@settings(EXAMPLES, max_examples=100)  # up to three numbers per example: the slowest of these
@given(st.lists(st.one_of(mobiles(), resident_ids()), min_size=1, max_size=3), st.data())
def test_no_mobile_or_id_number_survives_scrubbing_in_any_spelling(numbers: list[Typed], data: st.DataObject) -> None:
    # Between two numbers a full stop, which neither a number nor the filler holds: it keeps the two from
    # being glued into one, and the output is split on it so that each number is judged on its own
    # stretch (one number's kept digits must not count against another).
    text = data.draw(FILLER) + "。".join(number.embedded + data.draw(FILLER) for number in numbers)
    stretches = scrub(text).split("。")
    assert len(stretches) == len(numbers)
    for number, stretch in zip(numbers, stretches, strict=True):
        assert not survives(number, stretch), (number, text, stretch)


@EXAMPLES
@given(FILLER, mobiles(), FILLER)
def test_a_mobile_keeps_its_first_three_and_last_four_digits_as_typed(before: str, number: Typed, after: str) -> None:
    typed_digits = [c for c in number.text if to_ascii(c).isdigit()]
    if len(typed_digits) > 11:  # the country code is not part of the number
        typed_digits = typed_digits[-11:]
    expected = "".join(typed_digits[:3]) + "****" + "".join(typed_digits[-4:])
    assert scrub(before + number.text + after) == before + expected + after


@EXAMPLES
@given(FILLER, resident_ids(), FILLER)
def test_an_id_keeps_its_first_six_and_last_four_characters_as_typed(before: str, number: Typed, after: str) -> None:
    typed = [c for c in number.text if to_ascii(c).isdigit() or to_ascii(c) == "X"]
    expected = "".join(typed[:6]) + "*" * 8 + "".join(typed[-4:])
    text = before + number.embedded + after
    assert scrub(text) == before + number.left + expected + number.right + after


@EXAMPLES
@given(st.one_of(mobiles(), resident_ids()))
def test_every_spelling_of_a_number_has_one_lookup_hash_and_one_normal_form(number: Typed) -> None:
    assert lookup_hash(number.text) == lookup_hash(number.digits) != ""
    normalize = normalize_phone if number.kind == "mobile" else normalize_id_number
    assert normalize(number.text) == number.digits


def test_the_examples_of_issue_14_are_masked() -> None:
    assert scrub("电话１３９-１２３４-５６７８，谢谢") == "电话１３９****５６７８，谢谢"  # noqa: RUF001
    assert scrub("call 139.1234.5678 or (139) 1234 5678") == "call 139****5678 or (139****5678"
    assert scrub("tel: +86 (139) 1234-5678") == "tel: 139****5678"
    assert scrub("身份证 110105.19491231.002x") == "身份证 110105********002x"


def test_survival_is_detected_in_an_unmasked_number_typed_with_separators() -> None:
    # The definition above must be able to fail: a number left as typed survives.
    assert survives(Typed("13812341234", "", "mobile"), "电话 １３８-１２３４-１２３４")
    assert survives(Typed("11010519491231002X", "", "id"), "110105 19491231 002x")
    assert not survives(Typed("13812341234", "", "mobile"), "电话 138****1234")
