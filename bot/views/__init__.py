"""Everything the bot shows: Telegram HTML (answers, alerts, digests, help, status, topics),
cut to Telegram's limits, the keyboards under it, and the terminal text of `newsbot ask`."""

from bot.views.alerts import DigestItem, render_alert_html, render_digest_html
from bot.views.answers import render_answer_html, render_quote_html
from bot.views.chat_settings import (
    digest_schedule_html,
    previews_html,
    quiet_html,
    zone_html,
)
from bot.views.display import MAX_LIST_MESSAGES, escape
from bot.views.exports import exported_topics_html, feeds_added_html
from bot.views.help import (
    DIGEST_HOURS,
    Command,
    Handler,
    Section,
    example_questions,
    help_text_html,
)
from bot.views.keyboards import (
    ALERT_VOTE,
    ANSWER_VOTE,
    CALLBACKS,
    EXAMPLE,
    FIRST_SOURCES,
    LATEST_PAGE,
    MORE_SOURCES,
    UNSUBSCRIBE,
    VOTES,
    Callback,
    alert_vote_keyboard,
    answer_keyboard,
    example_keyboard,
    latest_keyboard,
    unsubscribe_keyboard,
)
from bot.views.preview import preview_html
from bot.views.status import (
    feed_list_html,
    feed_title_html,
    feeds_html,
    ingest_report_html,
    reason_html,
    stats_html,
    url_html,
)
from bot.views.subscriptions import (
    describe,
    subscriptions_html,
    topic_html,
    topics_html,
)
from bot.views.terminal import render_answer_text

__all__ = [
    "ALERT_VOTE",
    "DIGEST_HOURS",
    "ANSWER_VOTE",
    "CALLBACKS",
    "EXAMPLE",
    "FIRST_SOURCES",
    "LATEST_PAGE",
    "MAX_LIST_MESSAGES",
    "MORE_SOURCES",
    "UNSUBSCRIBE",
    "VOTES",
    "Callback",
    "Command",
    "DigestItem",
    "Handler",
    "Section",
    "alert_vote_keyboard",
    "answer_keyboard",
    "example_keyboard",
    "latest_keyboard",
    "unsubscribe_keyboard",
    "describe",
    "digest_schedule_html",
    "escape",
    "example_questions",
    "exported_topics_html",
    "feeds_added_html",
    "feed_list_html",
    "feed_title_html",
    "feeds_html",
    "help_text_html",
    "ingest_report_html",
    "preview_html",
    "previews_html",
    "quiet_html",
    "reason_html",
    "render_alert_html",
    "render_answer_html",
    "render_answer_text",
    "render_digest_html",
    "render_quote_html",
    "stats_html",
    "subscriptions_html",
    "topic_html",
    "topics_html",
    "url_html",
    "zone_html",
]
