"""The evaluation harness behind `newsbot eval`: datasets, the runs and their metrics, and the
suite that reports them (benchmarks/README.md holds the figures)."""

from retrieval.evaluation.datasets import EvalQuestion, load_questions, parse_question_date
from retrieval.evaluation.holdout import ArchiveWithout
from retrieval.evaluation.runner import MODES
from retrieval.evaluation.suite import SuitePlan, run_suite

__all__ = [
    "MODES",
    "ArchiveWithout",
    "EvalQuestion",
    "SuitePlan",
    "load_questions",
    "parse_question_date",
    "run_suite",
]
