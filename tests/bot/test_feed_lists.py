"""OPML both ways (issue 22, item 6), end to end over the fake Bot API: an admin's OPML file or
/addfeed of an OPML URL registers and polls every feed in it; a list past alerts.max_feeds or
an XML bomb gets one line and changes nothing; /export sends the chat's topics as text and, to
admins, the feeds as an OPML file that reads back to the same feeds."""

from __future__ import annotations

from index.sources import opml_feeds
from newsbot_testing.harness import ADMIN_ID, SLOW, USER_ID, bot_settings, rss, sent_to, until
from newsbot_testing.hostile import BOMB
from newsbot_testing.static_site import opml_of


async def answer(api, chat_id: int, send) -> str:
    since = len(api.sent)
    send()
    return (await api.wait_for(sent_to(chat_id), since=since, timeout=SLOW)).text


def feed_urls(bot) -> list[str]:
    return [row["url"] for row in bot.query("SELECT url FROM feeds ORDER BY url")]


async def test_an_admins_opml_file_registers_and_polls_every_feed(api, launch, site, tmp_path):
    """An OPML list was read once by /ingest and its feeds never polled."""
    bot = await launch(bot_settings(tmp_path / "data", api))
    one = site.add("/one.xml", rss("One", []), "application/rss+xml")
    two = site.add("/two.xml", rss("Two", []), "application/rss+xml")
    listed = opml_of(one, two, "ftp://example.org/feed").encode()
    reply = await answer(api, ADMIN_ID, lambda: api.user_document(ADMIN_ID, listed, "mine.opml"))
    assert reply == (
        "✅ mine.opml: 2 feeds added, 1 skipped (ftp://example.org/feed: not an http(s) URL)."
        " I read them now and every 60 min."
    )
    assert feed_urls(bot) == sorted([one, two])
    polled = "SELECT COUNT(*) AS n FROM feeds WHERE last_polled_at IS NOT NULL"
    await until(lambda: bot.query(polled) == [{"n": 2}])
    assert {"/one.xml", "/two.xml"} <= set(site.hits)
    again = await answer(api, ADMIN_ID, lambda: api.user_document(ADMIN_ID, listed, "mine.opml"))
    assert again.startswith("mine.opml: 0 feeds added, 2 already polled, 1 skipped")


async def test_too_many_feeds_a_bomb_or_a_non_admin_change_nothing(api, launch, site, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    huge = opml_of(*(f"https://feeds.example.org/{n}.xml" for n in range(10_000))).encode()
    assert await answer(api, ADMIN_ID, lambda: api.user_document(ADMIN_ID, huge, "all.opml")) == (
        "❌ Nothing added: That would make 10,000 feeds; I poll at most 500 (alerts.max_feeds),"
        " so I added none of the 10,000 new ones."
    )
    assert await answer(api, ADMIN_ID, lambda: api.user_document(ADMIN_ID, BOMB, "bomb.opml")) == (
        "❌ Nothing added: bomb.opml declares XML entities, which an OPML list never needs"
    )
    junk = b"\x89PNG\r\n\x1a\n"
    assert (
        await answer(api, ADMIN_ID, lambda: api.user_document(ADMIN_ID, junk, "cat.png"))
    ).startswith("❌ Nothing added: cat.png is not valid OPML")
    listed = opml_of(site.add("/rss", rss("Feed", []), "application/rss+xml")).encode()
    assert await answer(api, USER_ID, lambda: api.user_document(USER_ID, listed, "x.opml")) == (
        "I read questions as text, not files; only the bot's admins can send me a list of feeds."
    )
    assert bot.query("SELECT * FROM feeds") == [] and site.hits == []


async def test_addfeed_with_an_opml_url_adds_every_feed_in_it(api, launch, site, tmp_path):
    bot = await launch(bot_settings(tmp_path / "data", api))
    one = site.add("/one.xml", rss("One", []), "application/rss+xml")
    two = site.add("/two.xml", rss("Two", []), "application/rss+xml")
    url = site.add("/list.opml", opml_of(one, two), "text/x-opml")
    since = len(api.sent)
    api.user_message(ADMIN_ID, f"/addfeed {url}")
    edited = await api.wait_for(sent_to(ADMIN_ID, "editMessageText"), since=since, timeout=SLOW)
    assert edited.text == f"✅ {url}: 2 feeds added. I read them now and every 60 min."
    assert feed_urls(bot) == sorted([one, two])


async def test_export_sends_topics_to_everyone_and_feeds_as_opml_to_admins(
    api, launch, site, tmp_path
):
    await launch(bot_settings(tmp_path / "data", api))
    assert await answer(api, USER_ID, lambda: api.user_message(USER_ID, "/export")) == (
        "This chat follows no topics yet, so there is nothing to export."
    )
    await answer(api, USER_ID, lambda: api.user_message(USER_ID, '/subscribe +"new york" <b>'))
    assert await answer(api, USER_ID, lambda: api.user_message(USER_ID, "/export")) == (
        "This chat follows 1 topic. Send a line to me (here or in another chat) to follow it"
        ' there:\n/subscribe +"new york" <b>'
    )
    assert api.documents == []  # not an admin: no feeds

    feed = site.add("/rss", rss("Wire & Co", []), "application/rss+xml")
    since = len(api.sent)
    api.user_message(ADMIN_ID, f"/addfeed {feed}")
    await api.wait_for(sent_to(ADMIN_ID, "editMessageText"), since=since, timeout=SLOW)
    await answer(api, ADMIN_ID, lambda: api.user_message(ADMIN_ID, "/export"))
    await until(lambda: api.documents)
    [document] = api.documents
    assert document.chat_id == ADMIN_ID
    assert document.caption.startswith("1 feed as OPML")
    [listed] = opml_feeds(document.content, "export")
    assert (listed.url, listed.title) == (feed, "Wire & Co")
