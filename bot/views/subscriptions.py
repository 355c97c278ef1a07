"""What /subscribe, /subscriptions and /unsubscribe say about topics, as Telegram HTML: each
topic escaped and shortened for display, lists in a bounded number of messages."""

from __future__ import annotations

from bot.views.display import (
    MESSAGE_BUDGET,
    TOPIC_CHARS,
    escape,
    label,
    pack_lines,
    visible_len,
)
from index.state import Subscription
from retrieval.alerts import is_source_rule, show_rule

# The words of a topic's +word and -word rules, shown at most this long.
RULE_CHARS = 200
# Topics named inline in one sentence ("It follows “a”, “b”…"); the rest are counted.
TOPICS_NAMED = 10


def topic_html(topic: str) -> str:
    """“topic”, shortened and escaped."""
    return f"“{escape(label(topic, TOPIC_CHARS))}”"


def describe(subscription: Subscription) -> str:
    """“topic” (from: x.com; must mention: a, “new york”, b or c; never: d), escaped: the topic as it
    was read, so a phrase or an OR that was not meant as typed shows."""
    rules = []
    sources = tuple(r for r in subscription.required if is_source_rule(r))
    words = tuple(r for r in subscription.required if not is_source_rule(r))
    if sources:
        rules.append(_rules(sources))  # "from: bbc.co.uk"
    if words:
        rules.append("must mention: " + _rules(words))
    if subscription.excluded:
        rules.append("never: " + _rules(subscription.excluded))
    return topic_html(subscription.topic) + (f" ({'; '.join(rules)})" if rules else "")


def _rules(rules: tuple[str, ...]) -> str:
    return escape(label(", ".join(show_rule(r) for r in rules[:RULE_CHARS]), RULE_CHARS))


def topics_html(subscriptions: list[Subscription]) -> str:
    """“a”, “b” and N more: the topics named in one sentence."""
    names = ", ".join(topic_html(s.topic) for s in subscriptions[:TOPICS_NAMED])
    left = len(subscriptions) - TOPICS_NAMED
    return names + (f" and {left:,} more" if left > 0 else "")


def subscriptions_html(
    subscriptions: list[Subscription], notes: list[str], paused: frozenset[int] = frozenset()
) -> list[str]:
    """/subscriptions: one line a topic (⏸ before the `paused` ids), then `notes`, in a
    bounded number of messages (the topics beyond are counted in "… and N more topics")."""
    lines = [
        "<b>This chat follows:</b>",
        *(f"{'⏸' if s.id in paused else '•'} {describe(s)}" for s in subscriptions),
    ]
    if paused & {s.id for s in subscriptions}:
        notes = [*notes, "⏸ paused: no alerts until /resume."]
    footer = "\n".join(notes)
    messages = pack_lines(lines, "topic", budget=MESSAGE_BUDGET - visible_len(footer) - 2)
    messages[-1] += "\n\n" + footer
    return messages
