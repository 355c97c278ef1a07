"""Alerts on the reader's terms (issue 22), end to end over the strict fake Bot API: topics
with phrases and alternatives show how they were read."""

from __future__ import annotations

from tests.bot.harness import SLOW, USER_ID, bot_settings, sent_to


async def reply_to(api, chat_id: int, text: str) -> str:
    since = len(api.sent)
    api.user_message(chat_id, text)
    return (await api.wait_for(sent_to(chat_id), since=since, timeout=SLOW)).text


async def test_subscribe_shows_how_phrases_and_alternatives_were_read(api, launch, tmp_path):
    """`+"new york"` was shown (and matched) as the required word "new"."""
    await launch(bot_settings(tmp_path / "data", api))
    topic = 'mayor +"new york" -"opinion piece" +bus OR +subway'
    answer = await reply_to(api, USER_ID, f"/subscribe {topic}")
    assert answer.startswith(
        f"✅ Subscribed to “{topic}” (must mention: “new york”, bus or subway;"
        " never: “opinion piece”). I will post each new article about it here."
    )
    assert await reply_to(api, USER_ID, "/subscribe oil OR -opec") == (
        "A -word cannot be one of the alternatives of OR; write it apart.\n"
        "Usage: /subscribe <topic>, for example /subscribe ceasefire talks +ukraine -football"
        " (+word must appear, -word must not)"
    )
