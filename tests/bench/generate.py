"""Deterministic benchmark issues: N Markdown articles with one photo each, the same
content as saved web pages, and one combined clean Markdown/HTML for pandoc and calibre.

Everything is generated from fixed seeds, so two runs (and two machines) measure the same
bytes. Photos are 1600 px wide JPEGs with photo-like detail (so they compress like
photos, not like flat colour); they are shared between issue sizes and made once.
"""

from __future__ import annotations

import html
import random
from pathlib import Path

from PIL import Image, ImageFilter

PHOTO_WIDTH, PHOTO_HEIGHT = 1600, 1067
WORDS_PER_ARTICLE = 800

_WORDS = """
government minister officials said week city river flood water storm coast region
market prices trade exports factory workers union wages election party vote council
border talks summit agreement security military port ships fishing farmers harvest rice
rain drought heat power grid solar wind coal plant emissions climate research university
students schools teachers hospital doctors patients health budget tax growth bank loans
housing rents families village district province capital island bridge railway airport
police court judge law ruling protest crowd street night festival food music artists
museum history archive records data survey report analysts forecast season record
""".split()
_NAMES = ["Maria Santos", "Kim Ji-woo", "Nguyen Van An", "Aiko Tanaka", "Rahul Mehta",
          "Siti Rahman", "Chen Wei", "Lena Fischer", "Tom Okafor", "Ana Ruiz"]
_KICKERS = ["Environment", "Politics", "Business", "Culture", "Analysis", "Science"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(9, 22))]
    if rng.random() < 0.3:
        words.insert(rng.randint(1, len(words) - 1), rng.choice(_NAMES).split()[0])
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 5)))


def article_content(i: int) -> dict:
    """Article i as plain data: the same for every output form (Markdown, page, combined)."""
    rng = random.Random(1000 + i)
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 9))).capitalize()
    body: list[tuple[str, str]] = []
    words = 0
    while words < WORDS_PER_ARTICLE:
        if body and len(body) % 5 == 0:
            heading = " ".join(rng.choice(_WORDS) for _ in range(3)).capitalize()
            body.append(("h2", heading))
        elif body and len(body) % 7 == 3:
            quote = _sentence(rng)
            body.append(("quote", quote))
            words += len(quote.split())
        else:
            text = _paragraph(rng)
            body.append(("p", text))
            words += len(text.split())
    return {
        "id": f"a{i:04d}",
        "title": f"{title} ({i})",
        "kicker": rng.choice(_KICKERS),
        "standfirst": _sentence(rng),
        "author": rng.choice(_NAMES),
        "date": f"2024-06-{1 + i % 28:02d}T08:{i % 60:02d}:00+00:00",
        "url": f"https://news.example.com/2024/06/story-{i:04d}",
        "photo": f"photos/p{i:04d}.jpg",
        "caption": f"{_sentence(rng)[:-1]}, seen from the {rng.choice(_WORDS)} district.",
        "credit": f"{rng.choice(_NAMES)}/Example News",
        "alt": f"Photo for story {i}: {title.lower()}",
        "body": body,
    }


def make_photo(path: Path, i: int) -> None:
    """A 1600 px photo-like JPEG: smooth colour fields plus fine grain, ~200-300 KB."""
    rng = random.Random(5000 + i)
    small = Image.new("RGB", (24, 16))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256))
                   for _ in range(24 * 16)])
    image = small.resize((PHOTO_WIDTH, PHOTO_HEIGHT), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((PHOTO_WIDTH, PHOTO_HEIGHT), 18).convert("RGB")
    image = Image.blend(image, grain, 0.12).filter(ImageFilter.GaussianBlur(0.6))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=85)


def _md_article(a: dict) -> str:
    lines = ["---", f"id: {a['id']}", f"title: \"{a['title']}\"", f"kicker: {a['kicker']}",
             "standfirst:", f"  - \"{a['standfirst']}\"", f"authors: [{a['author']}]",
             "publisher: Example News", f"date: {a['date']}", f"url: {a['url']}",
             "lead:", f"  image: ../{a['photo']}", f"  caption: \"{a['caption']}\"",
             f"  credit: \"{a['credit']}\"", f"  alt: \"{a['alt']}\"", "---", ""]
    for kind, text in a["body"]:
        if kind == "h2":
            lines += [f"## {text}", ""]
        elif kind == "quote":
            lines += [f"> {text}", ""]
        else:
            lines += [text, ""]
    return "\n".join(lines)


def _body_html(a: dict) -> str:
    parts = []
    for kind, text in a["body"]:
        text = html.escape(text)
        if kind == "h2":
            parts.append(f"<h2>{text}</h2>")
        elif kind == "quote":
            parts.append(f"<blockquote><p>{text}</p></blockquote>")
        else:
            parts.append(f"<p>{text}</p>")
    return "\n".join(parts)


def _saved_page(a: dict) -> str:
    """A news page as a browser saves it: navigation, scripts, related links around it.

    No canonical URL: the HTML source resolves relative images against it, which would
    send the benchmark to the network instead of the saved photo beside the page.
    """
    e = html.escape
    nav = "".join(f'<li><a href="/section/{w}">{w.title()}</a></li>' for w in _WORDS[:12])
    related = "".join(f'<li><a href="/2024/06/other-{k}">{e(_WORDS[k].title())} update {k}</a></li>'
                      for k in range(8))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(a['title'])} | Example News</title>
<meta property="og:title" content="{e(a['title'])}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="Example News">
<meta name="author" content="{e(a['author'])}">
<meta property="article:published_time" content="{a['date']}">
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
<style>body {{ font-family: sans-serif }} .ad {{ height: 250px }}</style>
</head><body>
<header class="site-header"><a href="/" class="logo">Example News</a><nav><ul>{nav}</ul></nav>
<form class="search"><input name="q"><button>Search</button></form></header>
<div class="ad">Advertisement</div>
<main><article>
<p class="kicker">{e(a['kicker'])}</p>
<h1>{e(a['title'])}</h1>
<p class="standfirst">{e(a['standfirst'])}</p>
<p class="byline">By <span class="author">{e(a['author'])}</span> · <time datetime="{a['date']}">{a['date'][:10]}</time></p>
<figure><img src="{a['photo']}" alt="{e(a['alt'])}" width="1600" height="1067">
<figcaption>{e(a['caption'])} <span class="credit">Photo: {e(a['credit'])}</span></figcaption></figure>
{_body_html(a)}
</article>
<aside class="related"><h3>Related stories</h3><ul>{related}</ul></aside>
<div class="newsletter">Sign up for our morning briefing <input type="email"></div></main>
<footer><p>© 2024 Example News. All rights reserved.</p><ul><li><a href="/privacy">Privacy</a></li></ul></footer>
<script src="/static/app.js"></script>
</body></html>
"""


def _combined_markdown(articles: list[dict]) -> str:
    """Pandoc's input: the same articles as one clean Markdown document."""
    out = ["---", "title: Benchmark Briefing", "lang: en", "---", ""]
    for a in articles:
        out += [f"# {a['title']}", "", f"*{a['kicker']}*", "", f"**{a['standfirst']}**", "",
                f"By {a['author']} · {a['date'][:10]}", "",
                f"![{a['caption']} Photo: {a['credit']}]({a['photo']})", ""]
        for kind, text in a["body"]:
            out += [f"## {text}" if kind == "h2" else f"> {text}" if kind == "quote" else text, ""]
    return "\n".join(out)


def _combined_html(articles: list[dict]) -> str:
    """Calibre's input: the same articles as one clean HTML document."""
    e = html.escape
    parts = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
             '<title>Benchmark Briefing</title></head><body>']
    for a in articles:
        parts.append(f"<h1>{e(a['title'])}</h1><p><em>{e(a['kicker'])}</em></p>"
                     f"<p><strong>{e(a['standfirst'])}</strong></p>"
                     f"<p>By {e(a['author'])} · {a['date'][:10]}</p>"
                     f"<figure><img src=\"{a['photo']}\" alt=\"{e(a['alt'])}\">"
                     f"<figcaption>{e(a['caption'])} Photo: {e(a['credit'])}</figcaption></figure>"
                     f"{_body_html(a)}")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _manifest(n: int, sections: int = 5) -> str:
    lines = ['title = "Benchmark Briefing"', 'subtitle = "Generated articles"',
             'date = "2024-06-24"', 'language = "en"', 'publisher = "Example News"', ""]
    per = -(-n // sections)
    for s in range(sections):
        chunk = range(s * per, min(n, (s + 1) * per))
        if not chunk:
            break
        lines += ["[[sections]]", f'title = "Section {s + 1}"', "articles = ["]
        lines += [f'  "articles-{n}/a{i:04d}.md",' for i in chunk]
        lines += ["]", ""]
    return "\n".join(lines)


def ensure_corpus(root: Path, n: int, *, pages: int = 0) -> dict[str, Path]:
    """Generate (once) the N-article issue under root; returns the paths of its inputs.

    root/photos/ holds the shared photos; root/articles-N/ the Markdown; root/issue-N.toml
    the manifest; root/pages-N/ saved pages (first `pages` articles); root/combined-N.md
    and .html the anchors' input. The photos referenced as photos/pNNNN.jpg resolve
    against root, so every input lives directly in root or one folder below it.
    """
    root.mkdir(parents=True, exist_ok=True)
    articles = [article_content(i) for i in range(n)]
    for i in range(n):
        photo = root / f"photos/p{i:04d}.jpg"
        if not photo.exists():
            make_photo(photo, i)
    folder = root / f"articles-{n}"
    folder.mkdir(exist_ok=True)
    for a in articles:
        path = folder / f"{a['id']}.md"
        text = _md_article(a)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    paths = {"manifest": root / f"issue-{n}.toml", "articles": folder,
             "combined_md": root / f"combined-{n}.md", "combined_html": root / f"combined-{n}.html"}
    paths["manifest"].write_text(_manifest(n), encoding="utf-8")
    paths["combined_md"].write_text(_combined_markdown(articles), encoding="utf-8")
    paths["combined_html"].write_text(_combined_html(articles), encoding="utf-8")
    if pages:
        page_dir = root / f"pages-{pages}"
        page_dir.mkdir(exist_ok=True)
        for a in articles[:pages]:
            (page_dir / f"{a['id']}.html").write_text(
                _saved_page({**a, "photo": f"../{a['photo']}"}), encoding="utf-8")
        paths["pages"] = page_dir
        paths["combined_pages_md"] = root / f"combined-pages-{pages}.md"
        paths["combined_pages_md"].write_text(_combined_markdown(articles[:pages]), encoding="utf-8")
    return paths
