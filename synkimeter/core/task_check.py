"""Did the asked task happen? One definition, the expression finder's (`core.expressions`): a
guided pucker is checked with the same rule that finds a pucker in any clip.

A task clip of the guided protocol holds a relaxed lead-in and `asked` rounds of the task. Smile
and pucker count the finder's smile (either side: a patient's weak side may not move) and pucker
segments, brow lift its brow raises (the brow up against the nose, either side), snarl its
snarls (the upper lip raised towards the nose more than the corners moved); gentle eye closure
counts held closures of at least `gentle_closure_min_s` (the patient counts to three), forceful
blink every held closure (the blink detector's, over 0.5 s). Rest and natural blinking are not
checked: sitting still is what they ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from synkimeter.core.expressions import BROW_RAISE, EYE_CLOSURE, PUCKER, SMILE, SNARL

# "Close your eyes gently ... count to three": a held closure of at least this long (a blink is
# under 0.5 s, counting to three takes 2-3 s).
GENTLE_CLOSURE_MIN_S = 1.0
CHECKED = {"brow_lift": (BROW_RAISE, 0.0), "smile": (SMILE, 0.0), "snarl": (SNARL, 0.0), "pucker": (PUCKER, 0.0),
           "gentle_closure": (EYE_CLOSURE, GENTLE_CLOSURE_MIN_S), "forceful_blink": (EYE_CLOSURE, 0.0)}
NOT_SEEN = "not seen - try again"


@dataclass(frozen=True)
class TaskCheck:
    task: str
    asked: int
    seen: int

    @property
    def happened(self) -> bool:
        return self.seen > 0

    def words(self) -> str:
        if not self.happened:
            return NOT_SEEN
        return f"{min(self.seen, self.asked)} of {self.asked} seen"


def check_task(task: str, expressions, asked: int) -> TaskCheck | None:
    """How many rounds of `task` the clip's expressions hold (segments as `ExpressionSegment` or
    their summary dicts); None for a task that is not checked."""
    if task not in CHECKED:
        return None
    kind, min_s = CHECKED[task]

    def get(seg, key):
        return seg[key] if isinstance(seg, dict) else getattr(seg, key)

    seen = sum(1 for seg in (expressions or []) if get(seg, "kind") == kind
               and (get(seg, "end_s") or 0.0) - (get(seg, "start_s") or 0.0) >= min_s)
    return TaskCheck(task, int(asked), seen)
