"""The admin check behind every change to a chat's alerts (bot/chat_rights.py), against the
fake Bot API over HTTP: creator and administrators may, members and those who left may not;
an answer is kept `ttl` seconds and no longer, for a bounded number of (chat, user) pairs; a
failed check is a refusal and is not kept."""

from __future__ import annotations

from telegram import Bot

from bot.chat_rights import ChatAdmins
from newsbot_testing.harness import TOKEN

CHANNEL = -1005001


async def test_admin_answers_are_kept_briefly_and_in_bounded_number(api):
    now = [0.0]
    admins = ChatAdmins(ttl=60.0, max_entries=2, clock=lambda: now[0])
    api.add_chat(CHANNEL, "channel")
    for user, status in ((1, "creator"), (2, "administrator"), (3, "member"), (4, "left")):
        api.set_member(CHANNEL, user, status)

    def asked() -> int:
        return sum(r.method == "getChatMember" for r in api.requests)

    async with Bot(TOKEN, base_url=api.base_url) as bot:
        assert [await admins.is_admin(bot, CHANNEL, user) for user in (1, 2, 3, 4)] == [
            True,
            True,
            False,
            False,
        ]
        assert asked() == 4
        assert await admins.is_admin(bot, CHANNEL, 4) is False  # kept
        assert asked() == 4
        assert await admins.is_admin(bot, CHANNEL, 1) is True  # forgotten: only 2 are kept
        assert asked() == 5
        api.set_member(CHANNEL, 2, "member")  # demoted
        now[0] = 61.0
        assert await admins.is_admin(bot, CHANNEL, 2) is False  # asked again after the ttl
        assert asked() == 6
        api.fail_next("getChatMember", "500")
        assert await admins.is_admin(bot, CHANNEL, 5) is False
        api.set_member(CHANNEL, 5, "administrator")
        assert await admins.is_admin(bot, CHANNEL, 5) is True  # the failure was not kept
