"""The course's lessons, listed once: file, title, the claim each examines, and its self-checks.

Everything that needs the list of lessons reads it here: ``tools/course.py`` (navigation, the
README's learning path, the stated times), :mod:`softmax_lab.exercises.progress` (the progress
table: checks passed out of each lesson's total) and the tests. Adding a lesson is one entry in
:data:`LESSONS` (then ``python tools/course.py`` writes its links and times).

Each lesson has a *core path*: the sections and checks a learner needs for the lessons after it.
A section that is not on it says so in its heading, with :data:`OPTIONAL_MARK` at the end
(``## 6. Soft-capping (optional)``); the section runs to the next heading of the same or a higher
level. ``tools/course.py`` states the time of the whole lesson and of its core path.

Examples
--------
>>> lesson("07").title
'Calibration and overconfidence'
>>> lesson_of_check("check_softmax")
'01'
"""

from typing import NamedTuple

#: The end of a heading whose section is not on the lesson's core path.
OPTIONAL_MARK = "(optional)"


class Lesson(NamedTuple):
    """One lesson: its notebook, title, the claim about softmax in LLMs it examines, its self-checks.

    ``checks`` are the names the lesson's self-checks print and record in the progress file: the
    function's name (``"check_softmax"``) or the ``name=`` given to ``check_answer``.
    """

    file: str
    title: str
    claim: str
    checks: tuple = ()

    @property
    def number(self):
        """The lesson's two-digit number, from its file name ("07")."""
        return self.file[:2]


LESSONS = (
    Lesson("00_start_here.ipynb", "Start here",
           "What the course is, an environment check, and one slider",
           ("equal logits",)),
    Lesson("01_softmax_basics.ipynb", "Softmax basics",
           "Softmax turns a model's raw scores into a probability distribution",
           ("probability ratio", "check_softmax")),
    Lesson("02_temperature_and_overconfidence.ipynb", "Temperature and overconfidence",
           "Temperature sets how confident the distribution looks, not how much the model knows",
           ("check_temperature_answer", "scaling and the top word")),
    Lesson("03_softmax_vs_sigmoid.ipynb", "Softmax vs sigmoid",
           "Softmax is for one choice among many; sigmoids are for several yes/no questions",
           ("check_output_layer", "check_log_sigmoid")),
    Lesson("04_cross_entropy_and_gradients.ipynb", "Cross-entropy and gradients",
           "Training pushes probability toward the target: which way, and how hard, does the gradient push?",
           ("check_quarter_loss", "check_cross_entropy_grad")),
    Lesson("05_numerical_stability.ipynb", "Numerical stability",
           "The textbook formula overflows; shifted softmax and log-sum-exp do not",
           ("check_float32_ceiling", "check_lse_1000", "check_logsumexp")),
    Lesson("06_next_token_sampling.ipynb", "Next-token sampling",
           "Text comes from sampling the softmax (temperature, top-k, top-p, min-p), not always the top word",
           ("check_top_p_words", "greedy and top-p", "check_top_p")),
    Lesson("07_calibration_and_overconfidence.ipynb", "Calibration and overconfidence",
           "Softmax probabilities are not automatically honest: measure calibration, then repair it",
           ("check_temperature_by_hand", "check_ece", "the checkpoint temperature scaling helped most")),
    Lesson("08_softmax_in_attention.ipynb", "Softmax in attention",
           "Every attention head runs a softmax: scaled by 1/sqrt(d), masked with -inf, computable in tiles",
           ("check_attention", "check_entropy_prediction")),
    Lesson("09_large_vocabularies.ipynb", "Large vocabularies",
           "Softmax handles large vocabularies efficiently, yet its cost is a limitation: which is true, and when",
           ("Llama 3 logits", "more samples", "check_online_logsumexp")),
    Lesson("10_softmax_beyond_language.ipynb", "Softmax beyond language",
           "The same softmax classifies sentiment and images, explores in RL, and scores translations (beam search)",
           ("first loss with K = 10", "check_gradient_step", "check_exploration_temperature")),
    Lesson("11_the_article_audited.ipynb", "The article audited",
           "Every claim of the article, with a verdict and live evidence; softmax against its alternatives",
           ("check_sparsemax", "check_verdicts")),
    Lesson("12_inside_a_trained_transformer.ipynb", "Inside a trained transformer",
           "Softmax runs in every head of a trained transformer: what do its heads look at, and can your "
           "own softmax run it?",
           ("check_softmax_backward", "check_your_model", "dS row sums")),
    Lesson("13_softmax_everywhere_else.ipynb", "Softmax everywhere else",
           "Softmax also distils models, verifies drafted tokens, routes to experts, pairs views and ranks "
           "preferences, each with its own temperature",
           ("check_distillation_loss", "check_acceptance", "check_residual", "check_top_k_gating",
            "check_info_nce")),
)

#: Notebooks that are apps, not lessons (no navigation, no stated time).
DASHBOARD_APPS = ("classroom.ipynb",)


def lesson(number):
    """The lesson numbered ``number`` ("07" or 7).

    Raises
    ------
    ValueError
        When no lesson has that number.
    """
    wanted = f"{number:02d}" if isinstance(number, int) and not isinstance(number, bool) else str(number)
    for entry in LESSONS:
        if entry.number == wanted:
            return entry
    raise ValueError(f"number must be one of the lessons {[e.number for e in LESSONS]}, got {number!r}")


def lesson_of_check(name):
    """The number ("01") of the lesson whose self-check prints ``name``, or None for a check of no lesson."""
    for entry in LESSONS:
        if name in entry.checks:
            return entry.number
    return None
