"""Alerts on the reader's terms (issue 22), end to end over the strict fake Bot API: topics
with phrases and alternatives show how they were read; quiet hours in the chat's time zone
and link previews change how its alerts are sent, and a wrong hour or zone changes nothing."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.handlers.chat_settings import PREVIEWS_USAGE, QUIET_USAGE
from bot.handlers.subscriptions import ADMINS_ONLY
from index.clock import utc_now
from newsbot_testing.fake_bot_api import OWNER_USER_ID  # a group's creator may change its settings
from newsbot_testing.harness import SLOW, USER_ID, bot_settings, reply_to, sent_to, until


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
        " (+word must appear, -word must not), or /subscribe source:bbc.co.uk for an outlet"
    )


def alert_requests(api, chat_id: int) -> list[dict]:
    return [
        r.params
        for r in api.requests
        if r.method == "sendMessage"
        and r.status == 200
        and r.params.get("chat_id") == chat_id
        and str(r.params.get("text", "")).startswith("🔔")
    ]


async def test_quiet_hours_previews_and_a_time_zone_shape_how_alerts_arrive(
    api, launch, tmp_path, seed
):
    """Every alert rang and showed no preview, whatever the chat wanted."""
    bot = await launch(bot_settings(tmp_path / "data", api))
    quiet_chat, loud_chat = USER_ID, USER_ID + 1
    assert await reply_to(api, quiet_chat, "/timezone Mars/Olympus") == (
        "I don't know the time zone “Mars/Olympus”.\n"
        "Usage: /timezone Europe/Kyiv, or a UTC offset like /timezone +03:00"
    )
    assert await reply_to(api, quiet_chat, "/quiet 25:00-07:00") == (
        "25:00 is not a time of day (00:00 to 23:59).\n" + QUIET_USAGE
    )
    assert await reply_to(api, quiet_chat, "/previews maybe") == PREVIEWS_USAGE
    assert bot.query("SELECT * FROM chat_settings") == []  # nothing changed

    kyiv = utc_now().astimezone(ZoneInfo("Europe/Kyiv"))
    assert await reply_to(api, quiet_chat, "/timezone europe/kyiv") == (
        f"🕓 Time zone: Europe/Kyiv (now {kyiv:%H:%M} there). Quiet hours and digest times"
        " follow it."
    )
    start, end = (f"{kyiv + timedelta(hours=h):%H:%M}" for h in (-1, 1))
    assert await reply_to(api, quiet_chat, f"/quiet {start}-{end}") == (
        f"🔕 Quiet hours {start}–{end} (Europe/Kyiv): alerts in those hours arrive without a sound."
    )
    assert await reply_to(api, quiet_chat, "/previews on") == (
        "🖼 Link previews on: each alert shows a preview of its article."
    )
    assert (await reply_to(api, quiet_chat, "/quiet")).startswith(f"🔕 Quiet hours {start}")
    for chat in (quiet_chat, loud_chat):
        await reply_to(api, chat, "/subscribe ceasefire talks")

    await bot.ingest([seed])
    await until(lambda: alert_requests(api, quiet_chat) and alert_requests(api, loud_chat))
    [quiet_alert] = alert_requests(api, quiet_chat)
    [loud_alert] = alert_requests(api, loud_chat)
    assert quiet_alert.get("disable_notification") is True
    assert quiet_alert["link_preview_options"] == {"is_disabled": False}
    assert not loud_alert.get("disable_notification")
    assert loud_alert["link_preview_options"] == {"is_disabled": True}

    assert await reply_to(api, quiet_chat, "/quiet off") == (
        "🔔 Alerts to this chat ring as they come."
    )
    assert bot.query("SELECT quiet, quiet_from, timezone, previews FROM chat_settings") == [
        {"quiet": 0, "quiet_from": None, "timezone": "Europe/Kyiv", "previews": 1}
    ]


async def test_in_groups_only_admins_change_how_alerts_arrive(api, launch, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    group = -100777
    for command in ("/quiet on", "/previews on", "/timezone +03:00"):
        since = len(api.sent)
        api.group_message(group, command)  # a member, not an admin
        refused = await api.wait_for(sent_to(group), since=since, timeout=SLOW)
        assert refused.text == ADMINS_ONLY
    since = len(api.sent)
    api.group_message(group, "/quiet 22:00-07:00", user_id=OWNER_USER_ID)
    assert (await api.wait_for(sent_to(group), since=since, timeout=SLOW)).text.startswith(
        "🔕 Quiet hours 22:00–07:00 (UTC)"
    )
    assert bot.query("SELECT chat_id, quiet, previews, timezone FROM chat_settings") == [
        {"chat_id": group, "quiet": 0, "previews": 0, "timezone": None}
    ]


async def test_a_paused_topic_keeps_its_place_and_matches_nothing_until_resumed(
    api, launch, tmp_path, seed, bbc
):
    """A topic could only be dropped (losing what votes taught it), not paused."""
    bot = await launch(bot_settings(tmp_path / "data", api))
    await reply_to(api, USER_ID, "/subscribe ceasefire talks")
    await reply_to(api, USER_ID, "/subscribe maternity pay")
    assert await reply_to(api, USER_ID, "/pause") == (
        "Usage: /pause <topic> or /pause all (see /subscriptions)"
    )
    assert await reply_to(api, USER_ID, "/pause oil") == (
        "This chat does not follow “oil”. It follows “ceasefire talks”, “maternity pay”."
    )
    assert await reply_to(api, USER_ID, "/pause Maternity Pay") == (
        "⏸ Paused “maternity pay”: no alerts until /resume; what your votes taught it is kept."
    )
    assert await reply_to(api, USER_ID, "/subscriptions") == (
        "This chat follows:\n• “ceasefire talks”\n⏸ “maternity pay”\n\n"
        "Each new article comes as its own message (/digest on for a digest).\n"
        "⏸ paused: no alerts until /resume."
    )
    await bot.ingest([seed, bbc["bbc-politics-001"]])
    await until(lambda: alert_requests(api, USER_ID))
    await bot.run_job("alert_sweep")
    topics = bot.query(
        "SELECT s.topic FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
    )
    assert topics == [{"topic": "ceasefire talks"}]

    assert await reply_to(api, USER_ID, "/resume") == (
        "▶️ Resumed “maternity pay”: new articles on it alert again."
    )
    assert await reply_to(api, USER_ID, "/resume") == (
        "Nothing to resume: those topics are not paused."
    )
    assert "⏸" not in await reply_to(api, USER_ID, "/subscriptions")


async def test_an_outlet_is_followed_alone_or_with_words(api, launch, tmp_path, seed, bbc):
    """`/subscribe source:bbc.co.uk` followed the words "source", "bbc", "co" and "uk"."""
    bot = await launch(bot_settings(tmp_path / "data", api))
    every_bbc, ceasefire_bbc, ceasefire_example = USER_ID, USER_ID + 1, USER_ID + 2
    assert await reply_to(api, every_bbc, "/subscribe source:www.BBC.co.uk") == (
        "✅ Subscribed to “source:www.BBC.co.uk” (from: bbc.co.uk). I will post each new"
        " article about it here.\n\n"
        "I have no stories from bbc.co.uk from the last 7 days yet; I'll alert when one arrives."
    )
    await reply_to(api, ceasefire_bbc, "/subscribe source:bbc.co.uk ceasefire talks")
    assert (
        await reply_to(api, ceasefire_example, "/subscribe ceasefire talks source:example.com")
    ).startswith("✅ Subscribed to “ceasefire talks source:example.com” (from: example.com).")
    assert (await reply_to(api, every_bbc, "/subscribe source:a.com source:b.com")).startswith(
        "Please follow one source per topic, e.g. source:bbc.co.uk ukraine.\nUsage: /subscribe"
    )
    assert len(bot.query("SELECT id FROM subscriptions")) == 3  # the refused one is not kept

    # Politics and sport from the BBC, the ceasefire story from news.example.com.
    await bot.ingest([seed, bbc["bbc-politics-001"], bbc["bbc-sport-001"]])
    await until(lambda: len(alert_requests(api, every_bbc)) == 2)
    await until(lambda: alert_requests(api, ceasefire_example))
    await bot.run_job("alert_sweep")
    delivered = bot.query(
        "SELECT s.topic, a.url FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
        " JOIN passages p ON p.id = d.passage_id JOIN articles a ON a.id = p.article_id"
        " ORDER BY s.id, a.url"
    )
    assert delivered == [
        {"topic": "source:www.BBC.co.uk", "url": bbc["bbc-politics-001"].url},
        {"topic": "source:www.BBC.co.uk", "url": bbc["bbc-sport-001"].url},
        {"topic": "ceasefire talks source:example.com", "url": seed.url},
    ]
    opening = "\n\n<b>Maternity pay for new mothers is to rise by"  # its first sentence marked
    assert any(opening in a["text"] for a in alert_requests(api, every_bbc))
    assert alert_requests(api, ceasefire_bbc) == []
    listed = await reply_to(api, ceasefire_bbc, "/subscriptions")
    assert "• “source:bbc.co.uk ceasefire talks” (from: bbc.co.uk)" in listed


async def test_every_new_command_is_in_the_menu_and_in_help(api, launch, tmp_path):
    await launch(bot_settings(tmp_path / "data", api))
    new = {"export", "pause", "resume", "quiet", "timezone", "previews"}
    menus = [r.params for r in api.requests if r.method == "setMyCommands"]
    user_menu = {c["command"] for c in menus[0]["commands"]}
    assert new | {"digest"} <= user_menu and "scope" not in menus[0]
    help_text = await reply_to(api, USER_ID, "/help")
    for command in sorted(new):
        assert f"/{command}" in help_text, command
    assert "/digest daily 08:00 or weekly mon 08:00" in help_text
    assert '+"new york" a phrase, a OR b either' in help_text
    assert "/subscribe source:bbc.co.uk — every new story from an outlet" in help_text
