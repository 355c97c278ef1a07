"""The question limiter: a burst, then one token per 60/per_minute seconds; one "slow down"
per window; members of a group have their own allowance; memory stays bounded."""

from __future__ import annotations

from bot.question_limits import QuestionLimiter, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_slow_down_then_silence_until_a_token_is_back():
    clock = Clock()
    limiter = QuestionLimiter(per_minute=10, burst=3, clock=clock)
    verdicts = [limiter.check(1) for _ in range(60)]
    assert verdicts[:3] == [Verdict.ANSWER] * 3
    assert verdicts[3] is Verdict.SLOW_DOWN
    assert set(verdicts[4:]) == {Verdict.IGNORE}
    clock.now += 5.9
    assert limiter.check(1) is Verdict.IGNORE
    clock.now += 0.2  # one token every 6 s
    assert limiter.check(1) is Verdict.ANSWER
    assert limiter.check(1) is Verdict.SLOW_DOWN  # a new window: told once more
    assert limiter.check(1) is Verdict.IGNORE


def test_other_chats_and_other_group_members_keep_their_allowance():
    limiter = QuestionLimiter(per_minute=10, burst=2, clock=Clock())
    for _ in range(10):
        limiter.check(-100, 7)
    assert limiter.check(-100, 8) is Verdict.ANSWER
    assert limiter.check(2) is Verdict.ANSWER


def test_memory_stays_bounded_by_forgetting_idle_askers_first():
    clock = Clock()
    limiter = QuestionLimiter(per_minute=60, burst=1, clock=clock, max_buckets=100)
    for chat in range(100):
        limiter.check(chat)
    clock.now += 10  # everyone's bucket is full again
    limiter.check(999)
    assert len(limiter._buckets) == 1
    for chat in range(1000):
        limiter.check(chat)
    assert len(limiter._buckets) <= 100
