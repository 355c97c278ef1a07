"""One user flooding the bot with questions gets one "slow down" and no more answers than the
limit allows, and another user is still answered."""

from __future__ import annotations

import asyncio

from bot.handlers import SLOW_DOWN
from newsbot_testing.harness import SLOW, bot_settings, sent_to

FLOODER, OTHER = 5001, 5002
QUESTION = "What condition did Zelensky set?"


async def test_a_flooder_is_told_to_slow_down_once_and_others_are_still_answered(
    api, launch, seed_dir
):
    await launch(bot_settings(seed_dir, api))  # the defaults: 10 a minute, 3 at once
    for _ in range(60):
        api.user_message(FLOODER, QUESTION)
    api.user_message(OTHER, QUESTION)
    answer = await api.wait_for(sent_to(OTHER), timeout=SLOW)
    assert "ceasefire" in answer.text

    def to_flooder() -> list[str]:
        return [r.text for r in api.sent if r.chat_id == FLOODER and r.method == "sendMessage"]

    loop = asyncio.get_running_loop()
    deadline = loop.time() + SLOW
    while len(to_flooder()) < 4 and loop.time() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # nothing more follows
    replies = to_flooder()
    assert replies.count(SLOW_DOWN) == 1
    assert len(replies) == 4  # the 3 of the burst, and the one "slow down"
    typing = [a for a in api.chat_actions if a.chat_id == FLOODER]
    assert 1 <= len(typing) <= 3 * 3  # only for the questions answered (refreshed every 4 s)
