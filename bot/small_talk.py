"""Messages that are not questions: greetings, thanks, "help". They get a short reply with
example questions, never "I have no news that answers this"."""

from __future__ import annotations

import re

MAX_SMALL_TALK_WORDS = 6
_GREETING = re.compile(
    r"^(?:hi+|hello+|hey+|hiya|howdy|yo|hallo|hola|greetings|good\s+(?:morning|afternoon|evening|day)"
    r"|how\s+are\s+you(?:\s+doing)?|what'?s\s+up|sup|start)$"
)
_THANKS = re.compile(
    r"^(?:thanks?(?:\s+(?:you|a\s+lot|so\s+much))*|thank\s+you(?:\s+(?:so|very)\s+much)?|thx|ty"
    r"|cheers|great|cool|nice|perfect|awesome|ok(?:ay)?|got\s+it|👍|🙏)$"
)
_HELP = re.compile(
    r"^(?:help|who\s+are\s+you|what\s+(?:can|do)\s+you\s+do|what\s+are\s+you|menu"
    r"|how\s+does\s+this\s+work|how\s+do\s+(?:i|you)\s+use\s+(?:this|you))$"
)


def small_talk(message: str) -> str | None:
    """ "greeting", "thanks", "help" or None (a question, or anything else)."""
    text = " ".join((message or "")[:200].lower().replace("’", "'").split())
    if not text or len(text.split()) > MAX_SMALL_TALK_WORDS:
        return None
    # Addressing the bot and punctuation do not change what the message is.
    text = re.sub(r"[!?.,;:~)(]+|\b(?:bot|there|everyone|again|mate|friend)\b", " ", text)
    text = " ".join(text.split())
    if not text:
        return "help" if "?" in message else None
    for kind, pattern in (("greeting", _GREETING), ("thanks", _THANKS), ("help", _HELP)):
        if pattern.match(text):
            return kind
    return None
