"""Every quote shown answers (issue 20): each quote after the first must pass its own bar
(`retrieval.quote_below`), so a reply shows fewer quotes rather than unrelated ones. Asked
through `newsbot ask`, as a user asks; the bot's replies render the same Answer."""

from __future__ import annotations

import json

QUESTION = "Who won the Champions League final?"
FINAL = {
    "url": "https://sport.example/final",
    "title": "Real Madrid win the Champions League final",
    "published": "2024-06-01T21:30:00+00:00",
    "source": "Sport Desk",
    "text": "Real Madrid won the Champions League final at Wembley on Saturday, beating "
    "Borussia Dortmund 2-0 with late goals from Dani Carvajal and Vinicius Junior. It is the "
    "club's fifteenth European Cup. Carlo Ancelotti became the first coach to win the "
    "competition five times.",
}
FINAL_AGAIN = {
    "url": "https://football.example/wembley",
    "title": "Champions League final: Madrid beat Dortmund at Wembley",
    "published": "2024-06-02T08:00:00+00:00",
    "source": "Football Weekly",
    "text": "Real Madrid beat Borussia Dortmund 2-0 in the Champions League final at Wembley. "
    "Dortmund missed early chances before Carvajal headed in a corner and Vinicius Junior "
    "added a second. Madrid won the final for the fifteenth time.",
}
UNRELATED = [
    {
        "url": "https://news.example/flood",
        "title": "Floods in southern Germany",
        "published": "2024-06-02T10:00:00+00:00",
        "source": "Wire",
        "text": "Heavy rain flooded towns across Bavaria and Baden-Wuerttemberg, where rescuers "
        "evacuated thousands of residents. The Danube rose above its banks near Regensburg and "
        "the rail line to Munich was closed for two days.",
    },
    {
        "url": "https://news.example/oil",
        "title": "Oil prices fall after OPEC+ meeting",
        "published": "2024-06-02T12:00:00+00:00",
        "source": "Markets",
        "text": "Brent crude fell below 78 dollars a barrel after OPEC+ agreed to phase out some "
        "production cuts from October. Analysts said demand in China remained weak and that "
        "inventories in the United States had risen for a third week.",
    },
]


def ask(newsbot, tmp_path, articles: list[dict]) -> list[dict]:
    source = tmp_path / "news.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in articles))
    data = tmp_path / "data"
    assert newsbot("ingest", str(source), data_dir=data).returncode == 0
    result = newsbot("ask", "--json", "--as-of", "2024-06-02", QUESTION, data_dir=data)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["quotes"]


def test_unrelated_stories_are_not_shown_after_the_answer(newsbot, tmp_path):
    quotes = ask(newsbot, tmp_path, [FINAL, *UNRELATED])
    assert [q["url"] for q in quotes] == [FINAL["url"]]


def test_a_second_story_that_answers_is_still_shown(newsbot, tmp_path):
    quotes = ask(newsbot, tmp_path, [FINAL, FINAL_AGAIN, *UNRELATED])
    assert sorted(q["url"] for q in quotes) == sorted([FINAL["url"], FINAL_AGAIN["url"]])
