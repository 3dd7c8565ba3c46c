"""The Synkinesis Assessment Questionnaire (SAQ): the patient's own account of their synkinesis, beside
what the camera measures. Pure: the nine items, the answers' words, the checks, the total and what a
change of the total can be said to mean. The store keeps the answers, the use cases trend them, the
window and the command line ask them.

Source: Mehta RP, WernickRobinson M, Hadlock TA. Validation of the Synkinesis Assessment
Questionnaire. Laryngoscope 2007;117(5):923-926, doi:10.1097/MLG.0b013e3180412460: nine items, each
answered 1 (seldom or not at all) to 5 (all the time); the total is the sum / 45 x 100, from 20 (none of
the nine, ever) to 100 (all nine, all the time); higher is more synkinesis. The items below are said in
plain words for patients, one per line of the published form (eye closing when smiling, speaking and
whistling or puckering; neck tightening when smiling; face tightening, mouth corner moving and neck
tightening when closing the eyes; the eye watering when eating; the chin dimpling when moving the
face). Answers 2-4 are given plain words between the published ends (1 and 5).

A change of the total: repeat answers of one patient within two weeks, nothing done in between, differ
by up to 28.2 points (the smallest detectable change for an individual, SDC_ind; Bruins TE, van Veen MM,
Kleiss IJ, et al. Interpreting quality-of-life questionnaires in patients with long-standing facial
palsy. Facial Plast Surg Aesthet Med 2021;23(2):75-80, doi:10.1089/fpsam.2020.0604, Dutch SAQ, n = 62).
The Italian SAQ's MDC95 is smaller (13.1 points; Franchignoni F, et al. Eur J Phys Rehabil Med
2022;58(5):701-708, doi:10.23736/S1973-9087.22.07372-5); the larger, the Dutch, is used here, so a
change called "fewer" or "more" symptoms is one that repeat answers do not reach. No minimal clinically
important change for one patient is established (the published MIC, 2.8 points, lies far inside the
SDC), so none is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass

SAQ_ITEMS: tuple[str, ...] = (
    "When I smile, my eye closes.",
    "When I speak, my eye closes.",
    "When I whistle or pucker my lips, my eye closes.",
    "When I smile, my neck tightens.",
    "When I close my eyes, my face gets tight.",
    "When I close my eyes, the corner of my mouth moves.",
    "When I close my eyes, my neck tightens.",
    "When I eat, my eye waters.",
    "When I move my face, my chin gets a dimpled area.",
)
# The answer's words, for answers 1..5 (index 0 is answer 1).
SAQ_ANSWERS: tuple[str, ...] = ("seldom or not at all", "now and then", "sometimes", "often", "all the time")
SAQ_LOWEST, SAQ_HIGHEST = 1, 5
SAQ_TOTAL_RANGE = (20.0, 100.0)
SAQ_SCALE = "20 = none of the nine, 100 = all nine all the time"
SAQ_SDC_POINTS = 28.2  # Bruins et al. 2021: the smallest change repeat answers of one patient do not reach
SAQ_SOURCE = "Synkinesis Assessment Questionnaire (Mehta et al., Laryngoscope 2007)"
SAQ_SDC_SOURCE = "Bruins et al., Facial Plast Surg Aesthet Med 2021"


class SaqError(ValueError):
    """Answers that are not the SAQ's; str() is one plain sentence."""


def check_saq(items) -> tuple[int, ...]:
    """The nine answers as integers 1-5; SaqError (one sentence) for any other count or value."""
    try:
        values = list(items)
    except TypeError as exc:
        raise SaqError("The SAQ needs nine answers, each 1 to 5.") from exc
    if len(values) != len(SAQ_ITEMS):
        raise SaqError(f"The SAQ has {len(SAQ_ITEMS)} answers, each 1 to 5; {len(values)} were given.")
    out = []
    for i, value in enumerate(values, 1):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise SaqError(f"Answer {i} of the SAQ must be a whole number from 1 to 5, not '{value}'.")
        if not SAQ_LOWEST <= value <= SAQ_HIGHEST:
            raise SaqError(f"Answer {i} of the SAQ must be from 1 to 5, not {value}.")
        out.append(int(value))
    return tuple(out)


def parse_saq(text: str) -> tuple[int, ...]:
    """'3,2,4,1,5,2,3,1,2' (commas or spaces) -> the nine answers; SaqError (one sentence) otherwise."""
    words = [w for w in str(text or "").replace(",", " ").split()]
    values = []
    for i, word in enumerate(words, 1):
        try:
            values.append(int(word))
        except ValueError as exc:
            raise SaqError(f"Answer {i} of the SAQ must be a whole number from 1 to 5, not '{word}'.") from exc
    return check_saq(values)


def saq_total(items) -> float:
    """The SAQ total: the sum of the nine answers / 45 x 100, from 20 (none) to 100 (all, all the time)."""
    answers = check_saq(items)
    return sum(answers) / (len(SAQ_ITEMS) * SAQ_HIGHEST) * 100.0


def saq_meaning(total: float) -> str:
    """The total in words: the answer the nine are on average nearest to (the scale's ends: SAQ_SCALE)."""
    mean_answer = total / 100.0 * SAQ_HIGHEST
    nearest = SAQ_ANSWERS[min(max(round(mean_answer), SAQ_LOWEST), SAQ_HIGHEST) - 1]
    return f"on average '{nearest}'"


@dataclass(frozen=True)
class SaqChange:
    """The SAQ total at the first answers against the latest; higher totals are more symptoms."""

    first_date: str
    first_total: float
    latest_date: str
    latest_total: float

    @classmethod
    def of(cls, answered) -> SaqChange | None:
        """The first against the latest of answers given oldest first (anything with .date and .total,
        e.g. the store's SaqRecord); None with fewer than two."""
        answered = list(answered)
        if len(answered) < 2:
            return None
        first, latest = answered[0], answered[-1]
        return cls(first.date, first.total, latest.date, latest.total)

    @property
    def change(self) -> float:
        return self.latest_total - self.first_total

    @property
    def beyond_repeat_variation(self) -> bool:
        return abs(self.change) > SAQ_SDC_POINTS

    @property
    def verdict(self) -> str:
        if not self.beyond_repeat_variation:
            return "within repeat variation"
        return "fewer symptoms reported" if self.change < 0 else "more symptoms reported"

    @property
    def sentence(self) -> str:
        """One plain sentence: the change, and whether it exceeds what repeat answers differ by."""
        amount = f"{abs(self.change):.0f} point{'s' if round(abs(self.change)) != 1 else ''}"
        direction = "lower" if self.change < 0 else "higher"
        if not self.beyond_repeat_variation:
            return (f"The questionnaire total is {amount} {direction} than on {self.first_date} "
                    f"({self.first_total:.0f} then, {self.latest_total:.0f} on {self.latest_date}): within the "
                    f"±{SAQ_SDC_POINTS:.1f} points by which one patient's repeat answers differ, so no change "
                    "can be called.")
        return (f"The questionnaire total is {amount} {direction} than on {self.first_date} "
                f"({self.first_total:.0f} then, {self.latest_total:.0f} on {self.latest_date}): "
                f"{self.verdict}, beyond the ±{SAQ_SDC_POINTS:.1f} points by which repeat answers differ.")
