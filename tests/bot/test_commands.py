"""The command table (bot/commands.py) is the one place a command is named: the handlers'
registration, the command menu and /help all follow it. Each button family builds and reads
its callback data in one place (bot/views/keyboards.py), in the formats buttons already sent
in chats carry."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

from bot.commands import BUTTONS, COMMANDS, menu, register_buttons, register_commands
from bot.handlers import alert_votes, ask, subscriptions, whatsnew
from bot.token_memory import TokenMemory
from bot.views import (
    CALLBACKS,
    Callback,
    Command,
    Section,
    alert_vote_keyboard,
    answer_keyboard,
    help_text_html,
    latest_keyboard,
)
from newsbot_testing.harness import ADMIN_ID, SLOW, TOKEN, USER_ID, bot_settings, sent_to

TITLES = ["Zelensky Puts Direct Putin Meeting on the Table", "Oil prices rise again"]


async def probe(update, context) -> None:
    """A command the table does not have yet."""


PROBES = (
    Command("probe", probe, "Probe the news", Section.FOLLOW, ("/probe — probe the news",)),
    Command("probeadmin", probe, "Probe as admin", Section.ADMIN, ("/probeadmin",), True),
)


def registered(commands) -> tuple[set[str], list[CallbackQueryHandler]]:
    application = ApplicationBuilder().token(TOKEN).build()
    register_commands(application, commands)
    register_buttons(application)
    handlers = application.handlers[0]
    names = {n for h in handlers if isinstance(h, CommandHandler) for n in h.commands}
    return names, [h for h in handlers if isinstance(h, CallbackQueryHandler)]


def help_texts(commands) -> tuple[str, str]:
    """/help as a user and as an admin sees it."""
    return tuple(help_text_html(commands, TITLES, False, admin, 6) for admin in (False, True))


@pytest.mark.parametrize("commands", [COMMANDS, COMMANDS + PROBES], ids=["table", "added"])
def test_every_command_of_the_table_is_registered_in_the_menu_and_in_help(commands):
    names, _ = registered(commands)
    user_menu = [c.command for c in menu(commands, admin=False)]
    admin_menu = [c.command for c in menu(commands, admin=True)]
    user_help, admin_help = help_texts(commands)

    assert names == {c.name for c in commands}
    for command in commands:
        in_menu = bool(command.menu)
        assert (command.name in admin_menu) is in_menu, command.name
        assert (command.name in user_menu) is (in_menu and not command.admin_only), command.name
        if command.section is not Section.NONE:
            assert f"/{command.name}" in admin_help, command.name
            assert (f"/{command.name}" in user_help) is not command.admin_only, command.name
    assert "/probe — probe the news" in help_texts(COMMANDS + PROBES)[0]


def test_only_start_and_help_stay_out_of_the_help_text_and_start_out_of_the_menu():
    hidden = [c.name for c in COMMANDS if c.section is Section.NONE]
    assert hidden == ["start", "help"]
    assert [c.name for c in COMMANDS if not c.menu] == ["start"]
    assert len({c.name for c in COMMANDS}) == len(COMMANDS)


def test_every_button_family_has_one_handler_and_no_two_share_a_prefix():
    assert [family for family, _ in BUTTONS] == list(CALLBACKS)
    assert len({family.prefix for family in CALLBACKS}) == len(CALLBACKS)
    _, handlers = registered(COMMANDS)
    assert [h.pattern.pattern for h in handlers] == [f.pattern.pattern for f in CALLBACKS]


async def test_the_running_bot_registers_publishes_and_helps_from_the_table(api, launch, seed_dir):
    bot = await launch(bot_settings(seed_dir, api))
    replies = []
    for chat in (USER_ID, ADMIN_ID):
        since = len(api.sent)
        api.user_message(chat, "/help")
        replies.append((await api.wait_for(sent_to(chat), since=since, timeout=SLOW)).text)
    user_help, admin_help = replies

    menus = [r.params for r in api.requests if r.method == "setMyCommands" and r.status == 200]
    user_menu, admin_menu = ([c["command"] for c in m["commands"]] for m in menus)
    assert "scope" not in menus[0] and menus[1]["scope"]["chat_id"] == ADMIN_ID
    assert user_menu == [c.name for c in COMMANDS if c.menu and not c.admin_only]
    assert admin_menu == [c.name for c in COMMANDS if c.menu]
    handlers = bot.app.handlers[0]
    assert {n for h in handlers if isinstance(h, CommandHandler) for n in h.commands} == {
        c.name for c in COMMANDS
    }
    for command in COMMANDS:
        if command.section is not Section.NONE:
            assert f"/{command.name}" in admin_help, command.name
            assert (f"/{command.name}" in user_help) is not command.admin_only, command.name


# -- callback data: built and read by one Callback per family

# bot/token_memory.py's tokens: a per-process prefix of 4 hex digits, then a counter in hex.
TOKEN_FORMAT = r"[0-9a-f]{4}[1-9a-f][0-9a-f]{0,15}"
tokens = st.from_regex(TOKEN_FORMAT, fullmatch=True)
# What each family's buttons carry, by the prefix every earlier version sent.
FIELDS = {
    "more": st.tuples(tokens),
    "back": st.tuples(tokens),
    "vote": st.tuples(tokens, st.sampled_from([1, -1])),
    "lt": st.tuples(tokens, st.integers(0, 10_000)),
    "ex": st.tuples(tokens),
    "unsub": st.tuples(st.integers(1, 2**63 - 1) | st.just("all")),
    "alert": st.tuples(st.integers(1, 10**18 - 1), st.sampled_from(["up", "down"])),
}


def test_every_family_has_a_strategy_here_and_tokens_look_like_the_real_ones():
    assert sorted(FIELDS) == sorted(f.prefix for f in CALLBACKS)
    assert re.fullmatch(TOKEN_FORMAT, TokenMemory().remember("question"))


@given(st.sampled_from(CALLBACKS).flatmap(lambda f: st.tuples(st.just(f), FIELDS[f.prefix])))
def test_each_family_round_trips_within_64_bytes_and_no_other_family_reads_it(case):
    family, fields = case
    data = family.data(*fields)
    assert len(data.encode()) <= 64
    assert family.parse(data) == tuple(map(str, fields))
    assert family.pattern.match(data)
    for other in CALLBACKS:
        if other is not family:
            assert other.parse(data) is None and not other.pattern.match(data), other.prefix


no_colon = st.text(min_size=1).filter(lambda t: ":" not in t)


@given(no_colon, st.integers(1, 4), st.data())
def test_any_family_round_trips_or_refuses_data_telegram_would_refuse(prefix, count, data):
    family = Callback(prefix, count)
    fields = data.draw(st.lists(no_colon, min_size=count - 1, max_size=count - 1))
    fields.append(data.draw(st.text()))  # the last field takes the rest, colons and all
    try:
        built = family.data(*fields)
    except ValueError:
        assert len(":".join([prefix, *fields]).encode()) > 64
        return
    assert family.parse(built) == tuple(fields)


@given(st.sampled_from(CALLBACKS), st.text())
def test_any_data_reads_as_its_fields_or_none(family, data):
    fields = family.parse(data)
    if fields is not None:
        assert len(fields) == family.fields and family.pattern.match(data)


# Buttons as earlier versions sent them, the handler their press reaches, the fields it reads.
OLD_BUTTONS = {
    "more:ab1": (ask.page_button, ("ab1",)),
    "back:ab1": (ask.page_button, ("ab1",)),
    "vote:ab1:-1": (ask.vote_button, ("ab1", "-1")),
    "lt:ab1:3": (whatsnew.latest_page_button, ("ab1", "3")),
    "ex:ab1": (ask.example_button, ("ab1",)),
    "unsub:17": (subscriptions.unsubscribe_button, ("17",)),
    "unsub:all": (subscriptions.unsubscribe_button, ("all",)),
    "alert:42:down": (alert_votes.alert_vote_button, ("42", "down")),
}


@pytest.mark.parametrize("data", OLD_BUTTONS)
def test_buttons_already_in_chats_reach_the_same_handler_with_the_same_fields(data):
    handler, fields = OLD_BUTTONS[data]
    (routed,) = [(family, h) for family, h in BUTTONS if family.pattern.match(data)]
    assert routed[1] is handler and routed[0].parse(data) == fields


def test_keyboards_build_the_data_earlier_versions_sent():
    answer = answer_keyboard("ab1", True, False).inline_keyboard
    assert [b.callback_data for row in answer for b in row] == [
        "more:ab1",
        "vote:ab1:1",
        "vote:ab1:-1",
    ]
    assert answer_keyboard("ab1", True, True).inline_keyboard[0][0].callback_data == "back:ab1"
    newer, older = latest_keyboard("ab1", 2, more=True).inline_keyboard[0]
    assert (newer.callback_data, older.callback_data) == ("lt:ab1:1", "lt:ab1:3")
    up, down = alert_vote_keyboard(42).inline_keyboard[0]
    assert (up.callback_data, down.callback_data) == ("alert:42:up", "alert:42:down")
