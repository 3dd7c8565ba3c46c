"""What `synkimeter analyze` prints, read as a therapist reads it: one headline row, marked; plain
names; figures that add up as printed; notes that apply to the clip and come once; `--help` that
lists each command once, with examples."""

import re
from pathlib import Path

import pytest

from synkimeter.cli import build_parser
from synkimeter.cli.analyze import HEADLINE, ROW_DEFINITIONS
from synkimeter.cli.summary import format_summary
from synkimeter.usecases.analyze import analyze_clip

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("analyze", "gui", "batch", "import", "report", "patients", "sessions", "note", "export", "check",
            "event", "practice", "clinic", "audit", "store", "share", "receive", "keygen")


def _table_rows(text: str) -> dict[str, tuple[str, str]]:
    """The blink table's rows: label -> (right side, left side), as printed."""
    rows, inside = {}, False
    for line in text.splitlines():
        if line.strip().startswith("right side"):
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            cells = re.split(r"\s{2,}", line.strip())
            rows.setdefault(cells[0], (cells[1], cells[2]))
    return rows


def _notes(text: str) -> list[str]:
    return [line.strip()[2:] for line in text.split("  Notes:")[1].splitlines() if line.strip()] \
        if "  Notes:" in text else []


@pytest.fixture(scope="module")
def sample_summary(landmarks_of):
    return format_summary(analyze_clip(landmarks_of(ROOT / "sample_videos" / "right_3mm.mp4")).result)


@pytest.mark.slow  # MediaPipe over the sample clip, the first time (then pytest's cache)
def test_the_headline_row_is_marked_and_the_others_are_labelled(sample_summary):
    rows = _table_rows(sample_summary)
    labels = list(rows)
    assert labels[0] == f"headline: {HEADLINE}"
    assert sum(label.startswith("headline") for label in labels) == 1
    assert "typical single blink (median)" in labels
    # plain names, no statistics jargon
    assert not any("correlation" in label or "median of blink peaks" in label for label in labels)
    assert rows[labels[0]] == ("2.81 mm", "0.06 mm")  # 3 mm imposed on the right
    # every row's plain name is defined (analyze --help, the README)
    defined = [name.split(" N ")[0] for name, _ in ROW_DEFINITIONS]
    for label in labels[:-1]:  # the last, "blinks scored", says what it is
        assert any(name in label for name in defined), label


@pytest.mark.slow  # MediaPipe over the sample clip, the first time (then pytest's cache)
def test_the_asymmetry_adds_up_as_printed(sample_summary):
    right, left = (float(cell.split()[0]) for cell in _table_rows(sample_summary)[f"headline: {HEADLINE}"])
    line = next(line for line in sample_summary.splitlines() if "right minus left" in line)
    shown = re.search(r"(-?\d+\.\d\d) - (-?\d+\.\d\d) = (-?\d+\.\d\d) mm", line)
    assert shown, line
    a, b, diff = (float(x) for x in shown.groups())
    assert (a, b) == (right, left)
    assert diff == pytest.approx(a - b, abs=1e-9)
    assert "Verdict, from the headline row: right side affected; severity: severe" in sample_summary


@pytest.mark.slow  # MediaPipe over the sample clip, the first time (then pytest's cache)
def test_the_sample_clip_gets_no_note_that_does_not_apply(sample_summary):
    # nothing but its typical face is held: nothing was measured against a stand-in for a rest
    assert "no expression held" in sample_summary
    assert _notes(sample_summary) == []


@pytest.mark.realclips
@pytest.mark.slow
def test_talking_clip_notes_come_once_and_the_score_has_its_context(realclips_dir, landmarks_of):
    text = format_summary(analyze_clip(landmarks_of(realclips_dir / "talking_glasses_man.mp4")).result)
    notes = _notes(text)
    assert len(notes) == len(set(notes))
    # the verdict's note says none could be scored; a note per eye saying the same is not repeated
    assert len(notes) == 1 and notes[0].startswith("Too few blinks could be scored")
    assert "Verdict: not determined" in text
    assert _table_rows(text)["blinks scored"] == ("0", "0")
    # the eFACE-style score sits on its labelled line, not alone
    score = next(line for line in text.splitlines() if re.search(r"\b\d+ of 100\b", line))
    assert score.strip().startswith("Ocular synkinesis score (eFACE-style):") and "95 % interval" in score


def test_help_lists_each_command_once_with_two_examples():
    text = build_parser().format_help()
    for name in COMMANDS:
        listed = [line for line in text.splitlines() if re.match(rf"\s+{name}\s", line)]
        assert len(listed) == 1, (name, listed)
        assert text.count(f"{name},") == 0  # not spelled out again in a {a,b,c} list
    assert "{" not in text
    examples = text.split("examples:")[1]
    assert examples.count("  synkimeter ") == 2
    assert "sample_videos/right_3mm.mp4" in examples


def test_affected_side_says_what_it_changes():
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse keeps them here
    for command in ("analyze", "import", "batch"):
        words = next(a.help for a in sub[command]._actions if "--affected-side" in a.option_strings)
        assert "verdict" in words and "score" in words, command
