"""The ledger import's cell readers, over any input (no database)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rectification import roundtrip
from rectification.models import Problem

# --- the cell readers, over any input ------------------------------------------------------------------

# Measure texts as people write them: no line breaks, not starting with a number of their own.
line = (
    st.text(alphabet="整改措施培训窗口政策群众每月一次abcXYZ（）、，。-% ", min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
RELAXED = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@RELAXED
@given(st.lists(line, max_size=6))
def test_measure_lines_read_back_what_the_export_numbers(lines):
    assert roundtrip.measure_lines(roundtrip.cell_text("\n".join(f"{i}. {t}" for i, t in enumerate(lines, 1)))) == lines


@RELAXED
@given(st.lists(st.tuples(st.integers(0, 100), line), min_size=1, max_size=6))
def test_progress_lines_read_back_every_measures_percentage_and_note(items):
    text = "总体进度 50%\n" + "\n".join(f"{i}. {pct}% 2025-01-02 {note}" for i, (pct, note) in enumerate(items, 1))
    assert roundtrip.progress_lines(roundtrip.cell_text(text)) == {
        i: (pct, note) for i, (pct, note) in enumerate(items, 1)
    }


@RELAXED
@given(st.sampled_from(Problem.Status.values), st.sampled_from(["zh-hans", "en"]), st.text(max_size=20))
def test_a_status_cell_is_read_by_the_label_it_starts_with(status, language, rest):
    from django.utils import translation

    with translation.override(language):
        label = str(Problem.Status(status).label)
    assert roundtrip.status_of(f"{label}（{rest}") == status
