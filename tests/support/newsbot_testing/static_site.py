"""A tiny web server on 127.0.0.1 for tests: feeds and article pages with chosen bodies,
content types, statuses and headers, changeable while it runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

RSS = "application/rss+xml"

# The seed article's paragraphs (index/samples), for a page that serves it.
SEED_PARAGRAPHS = [
    "Ukrainian President Volodymyr Zelensky has made a fresh push for diplomacy by proposing a "
    "direct meeting with Russian President Vladimir Putin.",
    "In an open letter, Zelensky said Ukraine is ready for a full ceasefire during negotiations "
    "and argued that waiting for shifting U.S. attention would be the wrong approach.",
    "The proposal also comes with a concrete condition: a full ceasefire for the duration of the "
    "negotiations. That detail matters because it would create the basic security conditions "
    "needed for talks to happen without ongoing attacks undermining the process.",
]


@dataclass
class Page:
    body: bytes | str
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class StaticSite:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.hits: list[str] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def add(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        self.pages[path] = Page(body, content_type, status, headers or {})
        return self.base_url + path

    async def start(self) -> StaticSite:
        app = web.Application()
        app.router.add_route("GET", "/{path:.*}", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        self.hits.append(path)
        page = self.pages.get(path)
        if page is None:
            return web.Response(status=404, text="not found")
        body = page.body.encode() if isinstance(page.body, str) else page.body
        response = web.Response(status=page.status, body=body, headers=page.headers)
        response.headers["Content-Type"] = page.content_type
        return response


def article_page(
    title: str, paragraphs: list[str], published: str = "2025-03-04", site_name: str = "Test Times"
) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html><head><title>{title}</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="{site_name}">
<meta property="article:published_time" content="{published}T10:00:00Z"></head>
<body><nav>Home | World | Sport</nav><article><h1>{title}</h1>{body}</article>
<footer>Copyright Test Times</footer></body></html>"""


def rss_feed(title: str, items: list[dict[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{i['title']}</title><link>{i['link']}</link>"
        f"<pubDate>{i.get('date', 'Tue, 04 Mar 2025 10:00:00 GMT')}</pubDate>"
        f"<description>{i.get('summary', '')}</description></item>"
        for i in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>{title}</title><link>http://example.org/</link><description>test</description>
{entries}</channel></rss>"""


def opml_of(*feeds: str) -> str:
    outlines = "".join(f'<outline text="f" xmlUrl="{feed}"/>' for feed in feeds)
    return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'
