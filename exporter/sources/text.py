"""Pasted text: a news page copied from a browser and saved as .txt, read into an Article.

A pasted page is the article's lines mixed with the page's furniture (ad labels, share
buttons, counters, newsletter boxes, "Related" tails). Each line is first classified on
its own, by the rule tables below; then one pass reads the headline zone (kicker, title,
standfirst, byline, dates, reading time, lead photo) and the body (paragraphs, headings,
lists, quotes, figures) from the classified lines. The rules are about the shapes
publications share, never about one page's strings.

Wire datelines ("SEOUL, June 20 (Reuters) -") stay at the head of the first paragraph:
they are the story's own text and say where it was filed. Wire credit lines ("Reporting
by …; Editing by …") end the article with the rest of the page's tail.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import SourceError, SourceWarning
from ..inline import escape_text, to_text
from ..model import Article, Block, Figure, Heading, ListBlock, Paragraph, Quote
from . import Origin
from .common import decode, source_ref
from .credits import split_credit
from .meta import date_label, detect_language, parse_byline, parse_date, parse_reading_time
from .text_locate import ENDS as _ENDS
from .text_locate import (CLOCK_TIME, RELATIVE_TIMES, densest_run, is_byline_shaped, is_prose, is_sentence,
                          is_table_row, locate, may_wrap, rough_run, rough_score, score)


def _full_line(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive regex matching a whole line against any of `patterns`, perhaps
    set in brackets as labels often are ("[Advertisement]", "【関連記事】"), perhaps
    ending in an ellipsis or an arrow ("You might also like …", "Most popular »")."""
    return re.compile(r"(?:" + "|".join(patterns) + r")(?:[.:!]|\s*(?:…|\.\.\.|[›»→]))?|[\[【(（]\s*(?:"
                      + "|".join(patterns) + r")\s*[\]】)）]", re.I)


# Lines that are page furniture wherever they stand: dropped.
_FURNITURE = _full_line(
    # ad labels
    r"advertisement|advert|ads?|sponsored(?: content)?|promoted|paid (?:content|post)",
    r"werbung|anzeige|publicit[ée]|publicidad|publicidade|pubblicit[àa]|reklame|advertentie|"
    r"廣告|广告|広告|광고|реклама|reklama|reklam|iklan|quảng cáo|annons|mainos|hirdetés|διαφήμιση",
    # share buttons in other languages
    r"teilen|partager|compartir|compartilhe|compartilhar|condividi|delen|udostępnij|"
    r"paylaş|bagikan|chia sẻ|dela|jaa|sdílet|megosztás|distribuie|κοινοποίηση",
    r"story continues below(?: this)? advertisement|scroll to continue(?: with content)?",
    r"skip advert(?:isement)?|continue reading(?: the main story| below)?",
    r"(?:article|story) continues (?:below|after (?:this )?(?:ad|advertisement))",
    # trust badges
    r"why you can trust [\w .&'’-]{1,40}",
    # share, save and reading buttons
    r"share|shares|[\d,.]{1,9}k? shares|save|saved|copy link(?: link)?(?: copied)?|link copied|print",
    r"share via|(?:go to |share )?permalink",
    r"copy(?: code| to clipboard)?|copied(?: to clipboard)?!?",  # a code block's or a link's copy button
    r"(?:see|view|show) (?:more|all)(?: videos?| photos?| images?| pictures?| galleries)?",
    r"[—–-]{1,3}",  # a dash alone: a dateline's ("Busan / QNN / —") or a divider
    # a video player's controls and a widget still loading
    r"replay|play(?: video)?|pause|mute|unmute|(?:exit )?full ?screen|now playing|up next",
    r"autoplay|auto-play|自动播放(?:开关)?|自動播放|自動再生|loading|正在加载|加载中|載入中|読み込み中",
    r"share this(?: article| story| page)?\s*:?|share this with",
    r"(?:share|print|email|e-mail) (?:full |this )?(?:article|story|page|post)|gift (?:this )?article|bookmark|follow|e-?mail",
    r"listen(?: to this article)?(?:\s*[·|]\s*[\d:]+\s*min(?:utes?)?(?: learn more)?)?",
    r"(?:share|tweet|pin)(?: this)?(?: article| story| page| post| link)?"
    r" (?:on|via|to|with) [\w ]{1,20}", r"copy (?:this |the )?link(?: to (?:this |the )?\w+)?",
    r"facebook|twitter|x|whatsapp|linkedin|reddit|telegram|pinterest|messenger|tweet|pin(?: it)?|more(?!:)|photo|video",
    # a share panel's buttons run together: "Share Tweet Share", "tweet share Reddit Pocket"
    r"(?:(?:share|tweet|pin|e-?mail|facebook|twitter|whatsapp|linkedin|reddit|pocket|flipboard)"
    r"\s*){2,12}",
    r"flipboard|bluesky|threads|mastodon|instagram|youtube|tiktok|分享|공유",
    r"поделиться|分享到\s*[:：]?|我要分享|(?:分享|转播|轉播|转发|轉發)到\s*\S{1,12}|シェアする|ツイート|この記事をシェア(?:する)?",
    r"\d{0,5}(?:click|tap) to (?:share|email|print|tweet|pin)\b.{0,60}", r"like this",
    r"view image in fullscreen|enlarge(?: this)? image|(?:click|tap) to (?:expand|enlarge)",
    # lone counters
    r"\d{1,5}|\(\d{1,5}\)",
    # comment buttons and counters: near the headline as often as over the comments
    r"(?:\d{1,5} |reader |view |show |read )?comments?(?: \(\d{1,5}\))?",
    # relative dates, which cannot be made exact
    *RELATIVE_TIMES,
    # photo gallery controls
    r"(?:(?:image|photo|picture|slide) )?\d{1,3} of /? ?\d{1,3}|\d{1,3} / \d{1,3}|back to gallery|caption",
    # a social media handle under a byline, perhaps after the writer's name
    r"(?:(?-i:[A-Z])[\w'’.-]*\s+){0,3}@\w{2,30}",
    # labels over a story's summary points
    r"key (?:points|takeaways)|highlights|in brief|at a glance",
    # a caption or teaser cut short with a "more" toggle: the whole text stands elsewhere
    r".{1,300}(?:\.\.\.|…)(?:\s*(?:more|read more|show more)){1,2}",
    # licensing links under photos
    r"purchase licensing rights(?:,? opens new tab)?|opens new tab",
    # navigation, breadcrumbs' labels, a share panel's controls, follow-us lines
    r"you are here\s*:.{0,200}", r"close(?: [\w ]{1,20} panel)?",
    r"(?:[^>›»\s][^>›»]{0,30}\s[>›»]\s){1,6}[^>›»]{1,60}",  # breadcrumbs: Home > News > Local
    r"(?:these are )?external links (?:and )?will open in a new (?:window|tab)\.?",
    r"follow .{1,40} on (?:instagram|facebook|twitter|youtube|tiktok|x)\b.{0,80}",
    r"skip to [\w ]{1,30}|zum inhalt springen|menu|search|home|sign in|log in|register|close",
    r"(?:view |print )?(?:pdf|print)(?: ?/ ?(?:pdf|print))?(?: mode| version| this)?",
    # where the reporter was, under the byline: a place, not the story's text
    r"reporting from [\w ,.'’-]{1,40}",
    # single-line promos inside the body: a headline after the label (capitalised, at
    # most 16 words, no full stop), never a sentence ("More: the cuts follow ...")
    r"(?:read more|related|also read|see also|also see|more|read next|recommended|main articles?|"
    r"further information|read|watch|listen|trending|don'?t miss|must read|"
    r"lesen sie auch|lire aussi|à lire aussi|lee tambi[ée]n|leia tamb[ée]m|leggi anche|lees ook|"
    r"baca juga|czytaj (?:też|także)|zobacz (?:też|także)|xem thêm|läs också|lue myös|"
    r"читайте также)\s*(?::|\s\|)\s*"
    r"(?-i:[A-ZÀ-ÞА-ЯЁ0-9“\"‘'])(?:\S+\s+){0,15}\S*[^.\s]",
    # newsletter box lines
    r"email address|enter your email(?: address)?|subscribe|sign up|submit",
    r"(?:skip past|after) newsletter promotion|free (?:daily|weekly|monthly) newsletter",
    r"privacy notice:.*",
)
# A newsletter prompt: dropped, with the rest of its box when a box end follows closely.
_NEWSLETTER = _full_line(
    r"sign up (?:to|for) .{1,80}", r"subscribe to (?:our|the) .{0,60}newsletters?.{0,60}",
    r"get (?:the|our) .{1,60} newsletter.{0,60}", r"newsletter sign-?up")
_BOX_END = _full_line(r"subscribe|sign up|submit|after newsletter promotion|privacy notice:.*")
_BOX_LINES = 5
# People named in a wire credit line: "Hana Lim and Daniel Ortiz", "Jane Doe in Seoul".
_CAPITALISED = r"(?-i:[A-Z])[\w'’.-]*"
_NAMES = rf"{_CAPITALISED}(?:(?:\s+|\s*,\s*|\s+(?:in|and|&)\s+){_CAPITALISED})*"
# Tail lines that head the article's topic links ("Related Topics" then "South Korea").
_TOPIC_HEADS = (r"related topics", r"explore more on (?:these|this) topics?",
                r"(?:suggested )?topics", r"tags", r"themen", r"schlagw(?:ö|oe)rter",
                r"(?:é|e)tiquettes|etiquetas|mots-cl(?:é|e)s")
_TOPICS = _full_line(*_TOPIC_HEADS)
_TOPIC_MAX_WORDS = 4
# Labels over a list of links to other stories: a rail after the article, or an inline
# promo when the story goes on under its few headlines.
_PROMO = _full_line(
    r"related(?: stories| articles| content| coverage| news| links| reading| posts)?"
    r"(?: (?:from|on|in) .{1,60})?",
    r"more on this (?:story|topic)", r"next up(?: in .{1,40})?", r"read more", r"(?:see|read) also|also (?:read|see)",
    r"more(?=:)", r"more (?:from|in|on|stories|articles|news)\b.{0,40}",
    r"you (?:may|might) also like", r"recommended(?: for you)?",
    r"mehr zum thema|lesen sie auch|à lire aussi|sur le même sujet|leia (?:também|mais)",
    # a blog's related-posts rail and "you may also like" in other languages
    r"(?:ähnliche|verwandte|weitere) beiträge|das könnte (?:dich|sie|euch) auch interessieren|"
    r"(?:entradas|publicaciones|posts) relacionad[oa]s|tambi[ée]n te (?:puede|podr[íi]a) interesar|"
    r"vous (?:aimerez|pourriez aimer) aussi|(?:à|a) voir aussi|potrebbe(?:ro)? interessarti(?: anche)?|"
    r"voc[êe] tamb[ée]m pode gostar|(?:artigos|posts) relacionados|dit vind je misschien ook leuk|"
    r"podobne (?:wpisy|artykuły)|похожие записи",
    r"(?:verwandte|ähnliche|weitere) artikel|articles? (?:connexes|similaires)|lire aussi",
    r"(?:art[íi]culos|noticias|not[íi]cias|mat[ée]rias) relacionad[oa]s|lee tambi[ée]n",
    r"leggi anche|articoli correlati|lees ook|gerelateerde artikelen",
    r"相關新聞|相关新闻|延伸閱讀|延伸阅读|関連記事|관련 ?기사",
    r"(?:精彩|热门|熱門|相关|相關)?(?:视频|視頻|影片)推荐|推荐(?:视频|視頻)|おすすめ動画|関連動画|"
    r"相關文章|相关文章|推薦閱讀|推荐阅读|おすすめ記事|читайте также|"
    r"(?:похожие|другие) (?:статьи|новости|материалы)|вам (?:также )?может быть интересно",
    r"baca juga|berita terkait|czytaj (?:też|także)|zobacz (?:też|także)|ilgili haberler|"
    r"tin liên quan|xem thêm|läs (?:också|mer)|lue myös|přečtěte si (?:také|též)|citește și|"
    r"διαβάστε (?:επίσης|ακόμη)")
# Lines after which nothing belongs to the article: the heads of the page's sections
# under it (topics, sources, the author's box) and its footer.
_TAIL = _full_line(
    *_TOPIC_HEADS, r"most (?:read|viewed|popular)",
    r"meistgelesen|am meisten gelesen|les plus lus|(?:l[oa]s? |os )?m[áa]s (?:le[íi]d|vist)[oa]s?|"
    r"самое (?:читаемое|популярное)|熱門文章|热门文章|人気記事|アクセスランキング.{0,20}|"
    r"mais lid[oa]s|(?:i )?pi[ùu] lett[ie]|meest gelezen",
    r"najczęściej czytane|en çok okunan(?:lar)?|terpopuler|đọc nhiều nhất|mest lästa|luetuimmat|"
    r"nejčtenější|cele mai citite|δημοφιλέστερα",
    r"top stories", r"about the author", r"quick links|useful links|site ?map", r"(?:our )?sources?", r"references",
    r"reprints (?:&|and) permissions", r"reuse this content",
    r"copyright\s*©.*", r"©\s*(?:\d{4}|copyright).*", r"all rights reserved",
    r"(?:©|\(c\)|copyright\b).{0,80}all rights reserved",  # a notice, not a sentence
    r"(?:©|\(c\)|copyright\b).{0,80}(?:alle rechte vorbehalten|tous droits réservés|"
    r"todos (?:os|los) direitos reservados|todos los derechos reservados|"
    r"tutti i diritti riservati|alle rechten voorbehouden)",
    rf"(?:additional )?(?:reporting|writing) by {_NAMES}(?:\s*;.{{0,200}})?",
    rf"editing by {_NAMES}", r"our standards:.*", r"a version of this article appears in print.*")
# Lines that end the article's section of the page without heading a tail of its own:
# a share panel's label, a comment form, a consent banner.
_STOP = _full_line(
    r"post navigation", r"(?:previous|next|older|newer) (?:post|article|story)\s*:?.{0,160}",
    # the same blog-post navigation in the languages blog software is shipped in
    r"beitragsnavigation|navigation des articles|navegaci[óo]n de (?:entradas|art[íi]culos)|navigazione articoli|"
    r"navega[çc][ãa]o de (?:posts?|artigos)|berichtnavigatie|nawigacja wpisu|навигация по записям",
    r"(?:(?:vorheriger|nächster|älterer|neuerer) (?:beitrag|artikel)|(?:article|billet) (?:précédent|suivant)|"
    r"(?:entrada|art[íi]culo|publicaci[óo]n) (?:anterior|siguiente)|articolo (?:precedente|successivo)|"
    r"(?:post|artigo) (?:anterior|seguinte)|(?:vorig|volgend) bericht|(?:poprzedni|następny) wpis)\s*:?.{0,160}",
    r"(?=.{0,220}cookie).{0,200}\b(?:we|this (?:site|website)) uses? cookies\b.{0,300}",
    r"(?=.{0,220}cookie).{0,200}\baccept (?:all )?cookies\b.{0,100}")
# Lines of a comment section: its head, its form, a comment's Reply button. The section
# follows the article, so no prose under its first line is taken for the story.
_COMMENTS = _full_line(
    r"leave a (?:reply|comment)",
    r"deixe (?:um|seu) coment[áa]rio|deja (?:un|tu) comentario|laisser un commentaire|"
    r"kommentar (?:schreiben|verfassen)|lascia un commento|plaats een reactie",
    # the comment form's head in the languages blog software is shipped in
    r"(?:schreibe|hinterlasse)(?:n sie)? einen kommentar|deja una respuesta|deixe uma resposta|"
    r"laisser une r[ée]ponse|lascia una risposta|geef een reactie|laat een reactie achter|"
    r"(?:dodaj|zostaw) (?:komentarz|odpowied[źz])|добавить комментарий|оставьте комментарий",
    r"\d+ (?:gedanken|kommentare?|antworten) (?:zu|auf) .{1,200}|\d+ (?:r[ée]flexions?|commentaires?|r[ée]ponses?) "
    r"(?:(?:au sujet de|sur|à) .{1,200})|\d+ (?:comentarios?|respuestas?|coment[áa]rios|respostas?) (?:a|en|em|para|sobre) .{1,200}|"
    r"\d+ (?:commenti|risposte) (?:a|su) .{1,200}|\d+ reacties? op .{1,200}",
    r"(?:оставить|добавить|написать) комментарий|發表評論|发表评论|コメントを(?:書く|投稿する)",
    r"join the (?:conversation|discussion)|reply|antworten|répondre|responder",
    r"(?:post|add|write) a comment", r"discussion policy|(?:comments?|community) (?:policy|guidelines|rules)",
    r"\d+ (?:responses?|comments?|replies|thoughts?) (?:to|on) .{1,200}")
# Sentences the page says to its reader, found anywhere in a line of up to
# _NOTICE_MAX_WORDS words, by the box they stand in.
_NOTICES = (
    # a newsletter sign-up box: its prompt, its promise, its confirmation
    ("furniture", r"\b(?:subscribe|sign up|register|join) (?:to |for )?(?:our|the|my) (?:[\w'’-]+ ){0,4}"
                  r"(?:newsletters?|e-?mails?|updates|digest|briefing|channel|podcast)\b",
     r"\bdelivered (?:to|through|in) your (?:inbox|letterbox|mailbox|door)\b",
     r"\bunsubscribe (?:at )?any ?time\b", r"^no spam\b", r"\bsuccess?fully subscribed\b",
     r"\bactivation link\b"),
    # an affiliate disclosure over a review or a shopping story
    ("furniture", r"\baffiliate (?:commission|links?|partnerships?)\b",
     r"\b(?:may|might) (?:earn|receive|get) (?:a |an )?(?:small )?(?:commission|share of (?:the )?sales?)\b"),
    # what an embed leaves when its script did not run
    ("furniture", r"\b(?:requires|enable|turn on) javascript\b", r"^\[\w+\b[^\]]*\].*\[/\w+\]$",
     r"javascript\s*(?:が無効|を有効|の設定|が必要)", r"(?:启用|啟用|开启|開啟|允许|允許)\s*javascript"),
    # a comment section's head and its rules
    ("comments", r"^no comments(?: yet)?\b", r"^comments? (?:are|is) (?:now )?(?:closed|moderated)\b",
     r"\bawaiting moderation\b", r"\byou must (?:be (?:logged|signed) in|log ?in|sign in)\b.{0,40}\bto (?:comment|post|reply|report)\b",
     r"^tell us what you think\b",
     r"^(?:[\w ]{1,20}:\s*)?(?:comments?|comentários|comentarios|commentaires|kommentare)\b"
     r".{0,200}\b(?:moderat|approv|aprovad|publicad|publié)\w*"),
    # a cookie consent panel: its banner and its settings
    ("stop", r"\b(?:this (?:site|website)|we) uses? cookies\b",
     r"\b(?:necessary|non-necessary|functional|analytics|performance|advertising) cookies\b"),
    # the author's box and the tip line under a story
    ("tail", r"\bfollow (?:him|her|them|me|us) on (?:twitter|facebook|instagram|linkedin)\b\W*(?:@|at\b|$)",
     r"\b(?:have|got) a (?:news |story )?tip\b", r"\b(?:may|can) be reached at \S+@"),
    # a typo-report box under the story: "Select the text and press Ctrl+Enter to tell the editors"
    ("tail", r"\b(?:ctrl|strg)\s*\+\s*enter\b.{0,160}(?:editor|redakt|redac|redaz|редакц|редактор)"),
    # a paywall's notice where the story stops for readers without a subscription
    ("furniture", r"\b(?:subscribe|log ?in|sign ?in|register|become a (?:member|subscriber)) (?:now )?"
                  r"to (?:continue|keep) reading\b",
     r"\bthis (?:article|story|content) is (?:only )?(?:for|available to|reserved for) (?:paying )?"
     r"(?:subscribers|members)\b",
     r"\bnur für abonnenten\b|\bréservé aux abonnés\b|\bexclusivo para (?:suscriptores|assinantes)\b|"
     r"会員限定|続きをお読みいただけます|付费(?:阅读|内容)|訂閱(?:後|后)?(?:閱讀|阅读)全文"),
    # the legal notice of the page's footer
    ("tail", r"\bsubject to copyright\b", r"\b(?:may|can) not be reproduced\b",
     r"\bno part (?:of this \w+ )?may be reproduced\b", r"\bconstitutes acceptance of\b", r"^citation:"),
)
_NOTICE_PATTERNS = [(kind, re.compile("|".join(patterns), re.I)) for kind, *patterns in _NOTICES]
_NOTICE_MAX_WORDS = 100
# A date or a time inside a line: "Nov 19, 2019, 10:31 pm", "19 June 2024", "21/06/2014",
# "2019-11-18T20:51:19Z", "22 de outubro de 2010", "5:45 AM".
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-zäéû]*\.?"
_DATE_IN_LINE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}(?:,?\s+(?:at\s+)?\d{{1,2}}[:.]\d{{2}}"
    rf"(?:\s*[ap]\.?m\.?)?)?|\d{{1,2}}\.?\s+{_MONTH}\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}(?:T[\d:.]+Z?)?|\d{{1,2}} de \w+ de \d{{4}}"
    rf"|\d{{1,2}}:\d{{2}}\s*[ap]\.?m\.?)|\d{{4}}年\d{{1,2}}月\d{{1,2}}日(?:\s*\d{{1,2}}:\d{{2}})?", re.I)
_DATELINE_MAX_WORDS = 14
# A comment's head: "username says:" over the time it was posted.
# A publication-time line in a shape the date parser does not read: kept out of the body.
# The "less" toggle under an expanded caption: "... the harbour at dawn. less".
_TOGGLE_ENDS = ("less", "Less", "LESS")
_LESS_TOGGLE = re.compile(r"([.!?”\"])\s+(?:less|show less)$", re.I)
# What follows the author's name in their biography: perhaps their first name, then a verb.
_BIO = re.compile(r"\s+(?:\w+\s+)?(?:is|was|has|writes|covers|joined|est|écrit|a rejoint|es|fue|escribe|"
                  r"ist|war|schreibt|è|scrive|é|escreve)\s")
# An author's box under the story, whoever its byline named: "Jane Doe is a freelance
# writer based in Busan." A name, "is/was a/an/the", and a writer's trade.
_BIO_SHAPE = re.compile(
    r"^(?-i:[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3})\s+(?:is|was|has been)\s+(?:a|an|the)\b.{0,120}?\b"
    r"(?:writer|reporter|journalist|editor|correspondent|contributor|columnist|author|blogger|"
    r"freelancer?|photographer|producer|critic)s?\b", re.I)
_BIO_PROSE_AFTER = 1  # an author's box holds a paragraph or two, at the story's very end
_ABOUT = re.compile(r"(?:about|über|à propos de|sobre|su) (?P<name>.{3,60})", re.I)
# A wire agency's name alone, standing where a byline stands: metadata, never the headline.
_AGENCY_LINE = _full_line(
    r"(?:the )?associated press|reuters|agence france-presse|afp|dpa|deutsche presse-agentur|(?:agencia )?efe|"
    r"ansa|xinhua(?: news agency)?|kyodo(?: news)?|yonhap(?: news agency)?|pa media|press association|"
    r"anadolu (?:agency|ajansı)|(?:agência )?lusa|ria novosti|interfax|tass")
_STAMP_LINE = re.compile(r"^(?:(?:first )?published|updated|posted|last (?:updated|modified))\b.{0,80}\d.{0,80}$",
                         re.I)
# A time on a line of its own: a live blog's entry starts under it.
_STAMP = re.compile(CLOCK_TIME, re.I)
_COMMENT_HEAD = re.compile(r"^.{1,60}\s(?:says|said|wrote)\s*:$", re.I)
_POSTED_AT = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b(?:19|20)\d{2}\b")
_BULLET = re.compile(r"^\s*[•·\-*▪‣◦]\s+(?P<text>\S.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+(?P<text>\S.*)$")
_IMAGE_SOURCE = re.compile(r"^image (?:source|copyright)\s*[,:]?\s+(?P<text>\S.*)$", re.I)
_IMAGE_CAPTION = re.compile(r"^image caption\s*[,:]?\s+(?P<text>\S.*)$", re.I)
# A caption in the news agencies' own shape, which names no credit: "In this June 20,
# 2024, file photo, ..." / "This photo provided by ..." / "Pictured: ...".
_AGENCY_CAPTION = re.compile(
    r"^(?:(?:in )?this\b.{0,60}?\b(?:(?:file )?photo(?:graph)?|image|picture|handout)\b"
    r".{0,40}?\b(?:provided|released|taken|made available|shows?|dated|made|,)|pictured:)\s*.+$",
    re.I)
_MEDIA_CAPTION = re.compile(r"^(?:media caption\s*,|video\s*:\s)", re.I)  # a video we cannot keep
_META_SEPARATOR = re.compile(r"\s*(?:^|\s)[|·•]\s+")
_DATE_WORDS = r"(?:on|am|le|el|(?:publiziert|veröffentlicht|publié|publicado) (?:am|le|el))"
_BYLINE_DATE = re.compile(rf"(?P<by>.+?),?\s+{_DATE_WORDS}\s+(?P<date>.*\d.*)", re.I)
_DATE_BYLINE = re.compile(r"(?:posted|published)(?: on)?\s+(?P<date>.*\d.*?)\s+(?P<by>by\s+.+)", re.I)
# "Kicker | Title" with any short kicker; "KICKER: Title" and "Kicker — Title" only with
# an all-capitals or a well-known kicker, since headlines use colons and dashes too.
_KICKER_PIPE = re.compile(r"^(?P<kicker>\S+(?:\s+\S+){0,2})\s+\|\s+(?P<title>\S.{8,})$")
_KICKER_MARK = re.compile(r"^(?P<kicker>\S+(?:\s+\S+){0,2})\s*(?::|\s[—–]\s)\s*(?P<title>\S.{8,})$")
_KNOWN_KICKERS = re.compile(
    r"opinion|analysis|comment|explainer|explained|review|interview|exclusive|editorial|"
    r"live|breaking|factbox|fact check|briefing|podcast|video|letters?|obituary|profile|"
    r"feature|investigation|the big read|world|business|politics|sport|culture", re.I)
# A pull quote: “Quoted words” — Name (the dash may also start the next line).
_QUOTED = re.compile(
    r"^[“\"](?P<text>[^“”\"]{10,})[”\"]"
    r"\s*(?:(?:[—–]|\s-\s)\s*(?P<who>[^—–\"“”.!?]{2,80}))?$")
_ATTRIBUTION = re.compile(r"^[—–]\s*(?P<who>\S[^“”\".!?]{1,80})$")
_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f]")
# A line that is only a credit makes a figure when it credits a photo; "Source: X" alone
# credits the article's information, and stays text.
_PHOTO_CREDIT_LINE = re.compile(r"(?:photo(?:graph)?s?|pictures?|pic|images?|credits?|"
                                r"illustration|foto|©)\b", re.I)
# A photo's credit on a line of its own, under its label: "Photo: Jane Doe",
# "(Image: © Harbour Authority)".
_CREDIT_LABEL = re.compile(r"^\(?(?:(?:photo(?:graph)?s?|pictures?|images?|illustration|foto|bild|imagen|immagine)"
                           r"(?: credit)?\s*:|courtesy(?: of)?)\s*(?P<credit>[^()]{2,80}?)\)?$", re.I)
# Where a photo came from, after its caption: "Jane Doe, the new harbour master Submitted photo".
_CREDIT_AFTER = re.compile(r"^(?P<caption>.{2,200}?)\s+(?P<credit>(?:submitted|contributed|courtesy|"
                           r"file|staff|handout) (?:photo|image|picture)(?: by .{2,40})?)$", re.I)
# The photographer, the agency and the distributor: "Jane Doe | Quay Press | Harbour Images".
_CREDIT_CHAIN = re.compile(r"^[^|.!?]{2,40}(?: \| [^|.!?]{2,40})+$")
# A photo's credit alone in the agencies' shape: photographer and agencies between slashes
# ("JANE DOE/AFP/Getty Images"), perhaps "via" a distributor; every part capitalised, no
# spaces around the slashes (a breadcrumb's "News / World" has them).
_CAPITALISED_PART = r"(?:[A-Z][\w.'’&-]*)(?:\s+(?:[A-Z][\w.'’&-]*|de|van|von|via))*"
_CREDIT_SLASHES = re.compile(rf"^{_CAPITALISED_PART}(?:/{_CAPITALISED_PART}){{1,3}}$")
_CREDIT_MIN_WORDS = 3  # "TCP/IP", "News/Politics" are not credits
# A caption and its agency-shaped credit run together by the copy: "The quay at
# dawn.Jane Doe/Getty".
_CREDIT_GLUED = re.compile(rf"^(?P<caption>[^.!?]\S.{{1,300}}?[a-z][.!?])(?P<credit>{_CAPITALISED_PART}(?:/{_CAPITALISED_PART}){{1,3}})$")
_FIGURE_KINDS = ("figure", "image_source", "image_caption")
_TERMINAL = tuple(".!?:;,…\"”’')。！？：；，」』")
_HEADING_MAX_WORDS = 12
_QUESTION_MIN_WORDS = 3
_KICKER_MAX_CHARS = 30
_STANDFIRST_MAX_WORDS = 70
_STANDFIRST_MIN_WORDS = 6  # a shorter line without a full stop under the headline is a label
_QUOTE_MARKS = ("“", '"', "‘", "«", "„")  # a paragraph opening with one quotes someone
_CAPTION_MAX_WORDS = 100  # longer lines ending in "(AP)" are paragraphs, not captions
_CAPTION_ABOVE_MAX_WORDS = 50  # a caption on its own line over a lone credit; longer is the story's paragraph
_ATTRIBUTION_MAX_WORDS = 8
# Bylines and dates may follow the lead photo and the first paragraph; further down, a
# line shaped like them ("Jane Doe in Seoul", "19 June 2024") is the story's own text.
_METADATA_BODY_BLOCKS = 2
_TAIL_LINES = 40  # how far under the article its topic links are looked for
_KICKER_LOOKBACK = 6  # lines above the headline that may hold its kicker
_SITE_MAX_WORDS = 4
_AFFILIATION_MAX_WORDS = 8
_BY_WORD = re.compile(r"by\s", re.I)
# A headline, its byline and its date on one line: "… approved by Jane Doe — June 19, 2024".
_TITLE_BYLINE_DATE = re.compile(r"(?P<title>.{8,}?)\s+(?P<by>[Bb]y\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})"
                                r"\s*(?:[—–|]|\s-)\s*(?P<date>.*\d.*)")
_META_MAX_CHARS = 200  # a byline, date and reading time fit in this; a paragraph does not
_PROMO_MAX_LINES = 4
_RULES_MAX_CHARS = 2000
_READ_LINES_MAX = 2000  # more lines than a long feature and its page hold
_READ_MARGIN = 200  # lines kept above and below the prose: header block, tail
# Characters the line rules read: a long-read of 20,000 words, its page's header and tail.
_READ_CHARS_MAX = 200_000
_RAW_LINES_MAX = 4 * _READ_LINES_MAX  # raw lines, blank ones and wrapped halves included
_RAW_MARGIN = _READ_LINES_MAX  # raw lines kept above the prose for the finer cut
_REPEATS_MAX = 50  # a story's own lines (a table's, a plan's) do not come back this often
_LABELS_MAX = 5  # a share panel's buttons; more short lines than this are the story's own
_REPEAT_LINES = 3  # how far above a gallery's copy of a caption its first showing is
_JOINED_LABELS_MAX_WORDS = 10  # two buttons' labels; a longer line is read as it is
_LABEL_MAX_WORDS = 4  # the second of two labels run together: a button's few words
_CARD_TITLE_MIN_WORDS = 3
# The label over a story's summary points, in the header block.
_KEY_POINTS = _full_line(r"key (?:points|takeaways|facts)|highlights|at a glance|in brief|the big picture")
_KEY_POINTS_LOOKAHEAD = 12  # the header block's lines
_KEY_POINTS_MAX = 5  # "Bye bye" is a phrase; a headline said twice is a card's


@dataclass(frozen=True)
class _Line:
    """One pasted line after classification: `kind` says what it is, `value` its payload."""

    kind: str  # text, bullet, numbered, meta, stamp (a time alone: a live blog entry's),
    # figure, image_source, image_caption, tail, promo (a label over other stories' links),
    # stop (ends the article, heads nothing), furniture (dropped)
    text: str
    value: Any = None


@dataclass
class _Draft:
    """The article's parts as they are found, before the Article is made."""

    title: str = ""
    kicker: str | None = None
    standfirst: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    updated: str | None = None
    reading_time: int = 0
    lead: Figure | None = None
    body: list[Block] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    tail: list[_Line] = field(default_factory=list)  # from the line the article ends at


def read(data: bytes, origin: Origin) -> list[Article]:
    """The one article a pasted page holds."""
    lines = _classify_all(decode(data, origin))
    draft = _Draft()
    body, tail = _read_frame(lines, draft)
    if not draft.title:
        raise SourceError(origin.location, "no headline found in the pasted text "
                          "(expected a line of three words or more that is not page furniture)")
    _read_body(_read_header(body, draft), draft, tail)
    _warn_dropped_prose(draft, origin)
    if not any(isinstance(b, (Paragraph, ListBlock, Quote)) for b in draft.body):
        raise SourceError(origin.location, f"no article text found under the headline {draft.title!r}")
    article = Article(
        title=draft.title, kicker=draft.kicker, standfirst=draft.standfirst,
        authors=draft.authors, published=draft.published, updated=draft.updated,
        url=origin.url, reading_time=draft.reading_time, lead=draft.lead, body=draft.body,
        tags=draft.tags, language=detect_language(_article_text(draft, body)),
        source=source_ref("text", origin))
    return [article]


def _article_text(draft: _Draft, body: list[_Line]) -> str:
    """The headline and body lines: what the article's language is told from."""
    return "\n".join([draft.title, *(line.text for line in body)])


# ---------------------------------------------------------------- finding the article


def _read_frame(lines: list[_Line], draft: _Draft) -> tuple[list[_Line], list[_Line]]:
    """Find the article in the page: take its headline (and kicker) into the draft and
    return the lines after the headline down to the body's end, and the page's tail
    after it. A page with no line of prose is read from the top, as a tidy paste is."""
    frame = locate([line.kind for line in lines], [line.text for line in lines])
    if frame is None:
        kept = _kept(lines)
        return _read_title(kept, draft), []
    tail = _kept(lines[frame.end + 1:frame.end + 1 + _TAIL_LINES])
    if frame.title is None:
        return _read_title(_kept(lines[frame.start:frame.end + 1]), draft), tail
    above = _kept(lines[max(0, frame.title - _KICKER_LOOKBACK):frame.title + 1])
    for line in lines[:frame.title]:  # a byline or photo above the headline counts
        if line.kind == "meta":
            _take_metadata(line.value, draft)
    draft.kicker, draft.title = _split_kicker(_drop_site_name(above[-1].text))
    draft.title = _byline_cut_off(draft.title, draft)
    if draft.kicker is None and _has_kicker_line(above, len(above) - 1):
        draft.kicker = above[-2].text
    points = _key_points(lines, frame.title + 1, frame.end)
    draft.standfirst.extend(escape_text(lines[i].text) for i in points)
    header = _kept([line for i, line in enumerate(lines[frame.title + 1:frame.start], frame.title + 1)
                    if line.text != above[-1].text and i not in points])
    header = [line for n, line in enumerate(header) if not _is_label(line, standfirst=n == 0)]
    body = [line for i, line in enumerate(lines[frame.start:frame.end + 1], frame.start)
            if line.text != above[-1].text and i not in points]
    return header + _kept(body), tail  # a gallery repeats the headline under its photos


def _key_points(lines: list[_Line], first: int, end: int) -> list[int]:
    """The lines of a "Key points" box in the header block: the sentences under its label
    down to the lead photo or the byline, which part them from the story (without one,
    where the points end is not told, and they are left in the body)."""
    label = next((k for k in range(first, min(end, first + _KEY_POINTS_LOOKAHEAD))
                  if lines[k].kind == "furniture" and _KEY_POINTS.fullmatch(lines[k].text)), None)
    if label is None:
        return []
    points: list[int] = []
    for i in range(label + 1, min(end, label + 1 + _KEY_POINTS_MAX + 1)):
        if lines[i].kind == "furniture":
            continue
        if lines[i].kind != "text" or not is_prose(lines[i].text):
            return points if lines[i].kind in (*_FIGURE_KINDS, "meta") else []
        points.append(i)
    return []


def _is_label(line: _Line, standfirst: bool) -> bool:
    """A line of the header block that neither is prose nor ends a sentence: a share
    panel's link or button, a label, not the story's text; right under the headline,
    a line long enough to be the standfirst is not one. A time alone there is the
    story's, said again by its date line."""
    if line.kind == "text" and is_byline_shaped(line.text):
        return True  # a byline the metadata rules do not read: "Jane Doe @janedoe / 2 days"
    if standfirst and len(line.text.split()) >= _STANDFIRST_MIN_WORDS:
        return False
    return line.kind == "stamp" or (line.kind == "text" and score("text", line.text) < 0)


def _kept(lines: list[_Line]) -> list[_Line]:
    """The lines that are not furniture."""
    return [line for line in lines if line.kind != "furniture"]


def _byline_cut_off(title: str, draft: _Draft) -> str:
    """ "Harbour plan approved by Jane Doe — June 19, 2024" -> "Harbour plan approved": a
    headline with its byline and date run into it by the copy; they go to the draft."""
    joined = _TITLE_BYLINE_DATE.fullmatch(title)
    meta = _metadata_parts([joined.group("by"), joined.group("date")]) if joined else None
    if meta is None or "authors" not in meta or len(meta) < 2:
        return title
    _take_metadata(meta, draft)
    return joined.group("title")


def _drop_site_name(title: str) -> str:
    """ "Headline | Site Name" -> "Headline": a short name after the last bar."""
    head, bar, site = title.rpartition(" | ")
    if bar and len(site.split()) <= _SITE_MAX_WORDS and len(head.split()) > len(site.split()):
        return head
    return title


# ---------------------------------------------------------------- classifying lines


def _classify_all(text: str) -> list[_Line]:
    """The page's non-blank lines, classified; a newsletter box's lines are furniture.

    Pages repeat their menus, so each distinct line is read once: a paste of megabytes
    of menus costs a dictionary look-up per line."""
    raw = _around_prose(_unwrap(_normalised_lines(_near_prose(text.split("\n")))))
    seen: dict[str, _Line] = {}
    lines: list[_Line] = []
    i = 0
    while i < len(raw):
        line = seen.get(raw[i])
        if line is None:
            line = seen[raw[i]] = _classify(raw[i])
        if line.kind == "newsletter":
            end = _skip_box(raw, i)
            lines.extend(_Line("furniture", text) for text in raw[i:end])
            i = end
            continue
        if line.kind == "said":  # "name says:" over a time is a comment's head
            posted = i + 1 < len(raw) and _POSTED_AT.search(raw[i + 1])
            line = _Line("comments" if posted else "text", line.text)
        lines.append(line)
        i += 1
    return _drop_gallery_copies(lines)


def _near_prose(raw: list[str]) -> list[str]:
    """A paste of many more lines than a page holds cut, before any line is cleaned or
    joined, to the raw lines around its densest run of prose, so that no step after
    this one reads every line of megabytes of menus."""
    if len(raw) <= _RAW_LINES_MAX:
        return raw
    run = rough_run(raw)
    first = max(0, run[0] - _RAW_MARGIN) if run else 0
    return raw[first:first + _RAW_LINES_MAX]


def _around_prose(raw: list[str]) -> list[str]:
    """A very long paste cut to the lines around its densest run of prose, found from
    the lines' shapes alone, so that the line rules read a bounded number of lines
    and of characters."""
    if len(raw) <= _READ_LINES_MAX and sum(map(len, raw)) <= _READ_CHARS_MAX:
        return raw
    run = densest_run([rough_score(line) for line in raw])
    if run is None:
        return _within_chars(raw, 0, _READ_LINES_MAX)
    first = max(0, run[0] - _READ_MARGIN)
    return _within_chars(raw, first, min(run[1] + 1 + _READ_MARGIN, first + _READ_LINES_MAX))


def _within_chars(raw: list[str], first: int, end: int) -> list[str]:
    """The lines from `first` up to `end`, stopping where they exceed the characters the
    line rules read; the line that crosses the limit is cut there."""
    total = 0
    for i in range(first, min(end, len(raw))):
        if total + len(raw[i]) > _READ_CHARS_MAX:
            return [*raw[first:i], raw[i][:_READ_CHARS_MAX - total]]
        total += len(raw[i])
    return raw[first:end]


def _normalised_lines(raw: list[str]) -> list[str]:
    """Each line with its spaces collapsed and an expanded caption's "less" toggle cut;
    a line the page repeats many times (a menu, a button) is dropped at once, so that a
    paste of megabytes of menus costs little more than reading it."""
    normal = {line: "" if count > _REPEATS_MAX else " ".join(line.split())
              for line, count in Counter(raw).items()}
    for line, clean in normal.items():
        if clean.endswith(_TOGGLE_ENDS):
            normal[line] = _LESS_TOGGLE.sub(r"\1", clean)
    return [normal[line] for line in raw]


def _unwrap(raw: list[str]) -> list[str]:
    """The non-blank lines, with hard-wrapped paragraphs joined: a long line that stops
    mid-sentence, followed directly by one starting in lower case, goes on in it."""
    wraps = {line: may_wrap(line) for line in set(raw)}
    lines: list[str] = []
    parts: list[str] = []  # the paragraph being joined
    joinable = False
    for line in raw:
        if not line:
            joinable = False
        elif joinable and line[0].islower():
            parts.append(line)
        else:
            if parts:
                lines.append(" ".join(parts))
            parts = [line]
        joinable = bool(line) and wraps[line]
    if parts:
        lines.append(" ".join(parts))
    return lines


def _drop_gallery_copies(lines: list[_Line]) -> list[_Line]:
    """A photo gallery pastes each caption and credit twice: a caption or credit line
    repeating one just above it becomes furniture."""
    kept = list(lines)
    for i in range(1, len(lines)):
        line = lines[i]
        credit_follows = i + 1 < len(lines) and lines[i + 1].kind in _FIGURE_KINDS
        if (line.kind in _FIGURE_KINDS or credit_follows) and line.kind != "furniture" \
                and any(line.text == other.text for other in lines[max(0, i - _REPEAT_LINES):i]):
            kept[i] = _Line("furniture", line.text)
    return kept


def _skip_box(raw: list[str], start: int) -> int:
    """Index after a newsletter box: through its button when one follows closely, else
    just past the prompt (so a lone prompt never swallows article text)."""
    for i in range(start + 1, min(len(raw), start + 1 + _BOX_LINES)):
        if _BOX_END.fullmatch(raw[i]):
            return i + 1
    return start + 1


def _classify(line: str) -> _Line:
    """What one line is, on its own; "newsletter" (a box's prompt) and "said" (perhaps a
    comment's head) are settled by the lines after them. A line longer than any label,
    caption or byline is text, unread by the rules (which then cost nothing on it)."""
    if len(line) > _RULES_MAX_CHARS:
        return _Line("text", line)
    if _NEWSLETTER.fullmatch(line):
        return _Line("newsletter", line)
    if _MEDIA_CAPTION.match(line) or _FURNITURE.fullmatch(line) or _is_card_title(line):
        return _Line("furniture", line)
    if _PROMO.fullmatch(line):
        return _Line("promo", line)
    if _TAIL.fullmatch(line):
        return _Line("tail", line)
    if _STOP.fullmatch(line):
        return _Line("stop", line)
    if _COMMENTS.fullmatch(line):
        return _Line("comments", line)
    notice = _notice(line)
    if notice is not None:
        return _Line(notice, line)
    for kind, pattern in (("image_source", _IMAGE_SOURCE), ("image_caption", _IMAGE_CAPTION),
                          ("bullet", _BULLET), ("numbered", _NUMBERED)):
        match = pattern.match(line)
        if match and kind == "bullet" and (dated := _dateline(match.group("text"))) is not None:
            return _Line("meta", line, dated)  # a date line set off by a dash: "- 19 June 2024"
        if match:
            return _Line(kind, match.group("text"), line)
    if _is_slash_credit(line):  # stands over its photo, as an "Image source" line does
        return _Line("image_source", line)
    if _STAMP.fullmatch(line):
        return _Line("stamp", line)
    meta = _metadata(line)
    if meta is not None:
        return _Line("meta", line, meta)
    if _STAMP_LINE.match(line) or _AGENCY_LINE.fullmatch(line):
        return _Line("meta", line, {})
    dated = _dateline(line)
    if dated is not None:
        return _Line("meta", line, dated)
    figure = _figure_line(line)
    if figure is not None:
        return _Line("figure", line, figure)
    if _is_labels_run_together(line):
        return _Line("furniture", line)
    return _Line("said" if _COMMENT_HEAD.match(line) else "text", line)


def _is_labels_run_together(line: str) -> bool:
    """Two furniture labels on one line, as a copy joins buttons that sit side by side
    ("Continue reading the main story Share this page"): the second, of a few words,
    starts with a capital."""
    parts = line.split()
    if not 1 < len(parts) <= _JOINED_LABELS_MAX_WORDS:
        return False
    return any(parts[k][:1].isupper() and _FURNITURE.fullmatch(" ".join(parts[k:]))
               and _FURNITURE.fullmatch(" ".join(parts[:k]))
               for k in range(max(1, len(parts) - _LABEL_MAX_WORDS), len(parts)))


def _is_card_title(line: str) -> bool:
    """A teaser card's headline pasted two or three times in a row (its photo's text, its
    link and its title): another story's card, never a line of this one (a sentence said
    twice is a line of text)."""
    if is_sentence(line):
        return False
    parts = line.split()
    for copies in (2, 3):
        size = len(parts) // copies
        if size >= _CARD_TITLE_MIN_WORDS and len(parts) == size * copies \
                and parts[:size] * copies == parts:
            return True
    return False


def _is_slash_credit(line: str) -> bool:
    """A photo's credit alone in the agencies' shape: "JANE DOE/AFP/Getty Images"."""
    return (len(line) <= _META_MAX_CHARS // 2 and len(line.replace("/", " ").split()) >= _CREDIT_MIN_WORDS
            and bool(_CREDIT_SLASHES.match(line)))


def _figure_line(line: str) -> Figure | None:
    """The photo a caption or credit line describes, or None when the line is neither."""
    if _AGENCY_CAPTION.match(line):
        return Figure(caption=escape_text(line))
    labelled = _CREDIT_LABEL.match(line)
    if labelled:
        return Figure(credit=escape_text(labelled.group("credit")))
    glued = _CREDIT_GLUED.match(line)
    if glued:
        return Figure(caption=escape_text(glued.group("caption")), credit=escape_text(glued.group("credit")))
    after = _CREDIT_AFTER.match(line)
    if after:
        return Figure(caption=escape_text(after.group("caption")),
                      credit=escape_text(after.group("credit")))
    caption, credit = split_credit(escape_text(line))
    if credit and _CREDIT_CHAIN.match(line):  # a credit naming everyone, no caption
        return Figure(credit=escape_text(line))
    if credit and len(caption.split()) <= _CAPTION_MAX_WORDS and (
            caption or _PHOTO_CREDIT_LINE.match(line)):
        return Figure(caption=caption or None, credit=credit)
    return None


def _dateline(line: str) -> dict[str, Any] | None:
    """The date a short line under a headline states among other words ("Jane Doe - Nov
    19, 2019, 10:31 pm", "21/06/2014 Jane Doe Books, News"): None unless the line holds
    a date or a time and is not a sentence, nor an embedded post's "— Name (@name) date".
    The date is kept when the parser reads it."""
    if (len(line.split()) > _DATELINE_MAX_WORDS or is_sentence(line)
            or line.startswith(("—", "–"))):
        return None
    found = _DATE_IN_LINE.search(line)
    if found is None:
        return None
    stamp = parse_date(found.group(0))
    return {"published": stamp} if stamp else {}


def _notice(line: str) -> str | None:
    """The kind of a line the page says to its reader (a sign-up box, a disclosure, a
    comment section's rules, the author's box, a legal notice), or None."""
    if len(line.split()) > _NOTICE_MAX_WORDS:
        return None
    return next((kind for kind, pattern in _NOTICE_PATTERNS if pattern.search(line)), None)


def _metadata(line: str) -> dict[str, Any] | None:
    """The byline, dates and reading time a metadata line states, or None if it is not
    one. "By Jane Doe | 19 June 2024 | 5 min read" holds three; every part must parse.
    A byline and a date may also be joined in words: "By Jane Doe on 19 June 2024",
    "Von Jane Doe publiziert am 19. Juni 2024", "Posted on 19 June 2024 by Jane Doe"."""
    if len(line) > _META_MAX_CHARS:
        return None
    for joined in (_DATE_BYLINE.fullmatch(line), _BYLINE_DATE.fullmatch(line)):
        found = _metadata_parts([joined.group("by"), joined.group("date")]) if joined else None
        if found is not None:
            return found
    return _metadata_parts([part for part in _META_SEPARATOR.split(line) if part])


def _metadata_parts(parts: list[str]) -> dict[str, Any] | None:
    """What the parts of a metadata line state, or None unless every part parses; the
    part right after a "By" byline may name the author's publication ("By Jane Doe |
    Quay Media for the Daily Quay")."""
    found: dict[str, Any] = {}
    for n, part in enumerate(parts):
        minutes, stamp, people = parse_reading_time(part), parse_date(part), None
        if minutes is None and stamp is None:
            people = parse_byline(part)
            if people is None and _is_affiliation(part, parts[n - 1] if n else ""):
                continue
            if people is None:
                return None
        if minutes is not None:
            found["reading_time"] = minutes
        elif stamp is not None:
            found.setdefault(date_label(part), stamp)
        else:
            found["authors"] = people
    return found or None


def _is_affiliation(part: str, before: str) -> bool:
    """A publication's name after a "By" byline: a few words, not a sentence."""
    return (_BY_WORD.match(before) is not None and len(part.split()) <= _AFFILIATION_MAX_WORDS
            and not is_sentence(part))


# ---------------------------------------------------------------- headline zone


def _read_title(lines: list[_Line], draft: _Draft) -> list[_Line]:
    """Find kicker and title; return the lines after the title."""
    for i, line in enumerate(lines):
        if line.kind == "meta":
            _take_metadata(line.value, draft)
        if line.kind == "figure" and draft.lead is None:
            draft.lead = line.value  # some pages put the photo above the headline
        if line.kind != "text" or not _is_substantial(line.text):
            continue
        draft.kicker, draft.title = _split_kicker(line.text)
        draft.title = _byline_cut_off(draft.title, draft)
        if draft.kicker is None and _has_kicker_line(lines, i):
            draft.kicker = lines[i - 1].text
        return lines[i + 1:]
    return []


def _is_substantial(text: str) -> bool:
    """Long enough to be a headline: three words, or eight characters of a script written
    without spaces (Chinese, Japanese, Thai)."""
    return len(text.split()) >= 3 or len(_UNSPACED_SCRIPT.findall(text)) >= 8


def _has_kicker_line(lines: list[_Line], title: int) -> bool:
    """Is the line above the title its kicker? A short label is, unless it ends a run of
    short lines: that is a pasted navigation menu ("Home", "News", "Asia")."""
    before = lines[title - 1] if title else None
    if before is None or before.kind != "text" or not _is_kicker(before.text):
        return False
    above = lines[title - 2] if title >= 2 else None
    return not (above and above.kind == "text" and not _is_substantial(above.text))


def _is_kicker(text: str) -> bool:
    """A label of one to three words without sentence punctuation."""
    return (1 <= len(text.split()) <= 3 and len(text) <= _KICKER_MAX_CHARS
            and not text.endswith(_TERMINAL))


def _split_kicker(line: str) -> tuple[str | None, str]:
    """(kicker, title) from "Opinion | Title", "ANALYSIS: Title", "Explainer — Title"."""
    match = _KICKER_PIPE.match(line)
    if match:
        return match.group("kicker"), match.group("title").strip()
    match = _KICKER_MARK.match(line)
    if match:
        kicker = match.group("kicker")
        if kicker.isupper() or _KNOWN_KICKERS.fullmatch(kicker):
            return kicker, match.group("title").strip()
    return None, line


def _read_header(lines: list[_Line], draft: _Draft) -> list[_Line]:
    """Take standfirst, metadata and the lead photo; return the lines of the body."""
    i = _read_standfirst(lines, draft)
    while i < len(lines):
        line = lines[i]
        if line.kind in _FIGURE_KINDS and draft.lead is None:
            draft.lead, i = _figure_at(lines, i)
            continue
        if line.kind == "meta":
            _take_metadata(line.value, draft)
        elif line.kind not in _ENDS:  # a stray "Topics" label or comment
            # counter above the story ends nothing
            break
        i += 1
    return lines[i:]


def _read_standfirst(lines: list[_Line], draft: _Draft) -> int:
    """Take the standfirst right under the headline; return the index after it.

    Bullet lines always are one. A plain summary line is one only when metadata (byline,
    date, reading time) follows it, past any photo, so that the first paragraph of a page
    without byline or date stays in the body.
    """
    i = 0
    while i < len(lines) and lines[i].kind == "bullet":
        draft.standfirst.append(escape_text(lines[i].text))
        i += 1
    if draft.standfirst or not lines or lines[0].kind != "text":
        return i
    if len(lines[0].text.split()) > _STANDFIRST_MAX_WORDS:
        return 0
    following = next((line for line in lines[1:] if line.kind not in _FIGURE_KINDS), None)
    if following is not None and following.kind == "meta":
        draft.standfirst.append(escape_text(lines[0].text))
        return 1
    return 0


def _take_metadata(meta: dict[str, Any], draft: _Draft) -> None:
    """Keep the first of each: pages repeat dates and bylines in their footers."""
    if meta.get("authors") and not draft.authors:
        draft.authors = meta["authors"]
    draft.published = draft.published or meta.get("published")
    draft.updated = draft.updated or meta.get("updated")
    draft.reading_time = draft.reading_time or meta.get("reading_time", 0)


def _figure_at(lines: list[_Line], i: int) -> tuple[Figure, int]:
    """The figure starting at line i and the index after it. BBC-style "Image source, X"
    and "Image caption, Y" lines pair up in either order into one figure."""
    line = lines[i]
    if line.kind == "figure":
        return line.value, i + 1
    partner_kind = "image_caption" if line.kind == "image_source" else "image_source"
    partner = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].kind == partner_kind else None
    pair = {line.kind: line.text, **({partner.kind: partner.text} if partner else {})}
    caption = pair.get("image_caption")
    figure = Figure(caption=escape_text(caption) if caption else None, credit=pair.get("image_source"))
    return figure, i + (2 if partner else 1)


# ---------------------------------------------------------------- body


def _read_body(lines: list[_Line], draft: _Draft, tail: list[_Line]) -> None:
    """Turn the body's lines into blocks, in reading order, until a tail line that no
    prose follows; a tail line with the story going on under it is an inline promo."""
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_author_box(line, draft) or _is_bio_after_story(lines, i, draft) or _is_about_box(lines, i, draft):
            tail = lines[i:]
            break
        if line.text in draft.authors:  # a live blog entry's byline, the bio box's head
            i += 1
            continue
        if line.kind == "stamp":
            heading, i = _entry_heading(lines, i, draft.authors)
            draft.body.append(heading)
            continue
        if line.kind in _ENDS:
            promo_end = _promo_end(lines, i) if line.kind == "promo" else None
            if promo_end is None:
                tail = lines[i:]
                break
            i = promo_end
            continue
        if line.kind == "meta" and (len(draft.body) <= _METADATA_BODY_BLOCKS
                                    or set(line.value) == {"reading_time"}
                                    or _STAMP_LINE.match(line.text)):
            _take_metadata(line.value, draft)
            i += 1
            continue
        credit_line = line.kind == "figure"
        block, i = _block_at(lines, i, draft.body)
        _append(draft, block, credit_line)
    _drop_trailing_labels(draft.body)
    draft.tags = _topics_in_tail(tail)
    draft.tail = tail


def _drop_trailing_labels(body: list[Block]) -> None:
    """Drop the lines without a sentence's end after the story's last sentence: share
    buttons and links between the article and what follows it, not the story's text."""
    labels = 0
    while len(body) > 1 and isinstance(body[-1], (Paragraph, Heading)) and labels < _LABELS_MAX:
        text = to_text(body[-1].text)
        if is_sentence(text) or is_table_row(text) or len(text.split()) > _HEADING_MAX_WORDS:
            break
        body.pop()
        labels += 1


def _is_author_box(line: _Line, draft: _Draft) -> bool:
    """ "About Jane Doe" naming the article's author heads the author's biography box, or
    the box starts with the author's name and what they are ("Jane Doe Jane is the
    harbour correspondent", "Jane Doe has covered the port since 2010")."""
    match = _ABOUT.fullmatch(line.text)
    if match:
        return match.group("name") in draft.authors
    return any(line.text.startswith(author) and _BIO.match(line.text, len(author))
               for author in draft.authors)


def _is_about_box(lines: list[_Line], i: int, draft: _Draft) -> bool:
    """ "About Acme" over "Acme is a ..." under a story already under way: a press
    release's boilerplate about its company, or a box about the site or its writer."""
    match = _ABOUT.fullmatch(lines[i].text)
    if match is None or len(draft.body) <= _METADATA_BODY_BLOCKS or i + 1 >= len(lines):
        return False
    name, following = match.group("name").rstrip(".:"), lines[i + 1].text
    at = len(name) + (following[len(name):len(name) + 1] in (".", ","))
    return following.startswith(name) and _BIO.match(following, at) is not None


def _is_bio_after_story(lines: list[_Line], i: int, draft: _Draft) -> bool:
    """A line shaped like an author's biography ("Jane Doe is a freelance writer ...") with
    at most one line of prose after it, under a story already under way."""
    if len(draft.body) <= _METADATA_BODY_BLOCKS or not _BIO_SHAPE.match(lines[i].text):
        return False
    prose = sum(1 for line in lines[i + 1:] if line.kind == "text" and is_prose(line.text))
    return prose <= _BIO_PROSE_AFTER


def _promo_end(lines: list[_Line], start: int) -> int | None:
    """Where the story resumes after an inline "Related" promo at `start` (its label and
    the few short headline lines under it), or None when no prose follows: the tail."""
    for i in range(start + 1, min(len(lines), start + 1 + _PROMO_MAX_LINES)):
        if lines[i].kind in _ENDS:
            return None
        if is_prose(lines[i].text) and lines[i].kind == "text":
            return i
    return None


_PROSE_MIN_WORDS = 8


def _warn_dropped_prose(draft: _Draft, origin: Origin) -> None:
    """Say so when the lines left out after the article's end hold more than one line of
    prose: the end was perhaps a sentence shaped like a footer."""
    prose = [line for line in draft.tail[1:] if line.kind == "text"
             and len(line.text.split()) >= _PROSE_MIN_WORDS and line.text.endswith(_TERMINAL)]
    if len(prose) > 1:
        warnings.warn(f"{origin.location}: {len(prose)} paragraphs after {draft.tail[0].text!r} "
                      "left out as the page's footer (delete that line if they belong to the "
                      "article)", SourceWarning, stacklevel=2)


def _topics_in_tail(tail: list[_Line]) -> list[str]:
    """The topic links under the tail's "Related Topics" line: short unpunctuated lines,
    up to the first line that is anything else (the next tail section, a headline)."""
    start = next((i for i, line in enumerate(tail)
                  if line.kind == "tail" and _TOPICS.fullmatch(line.text)), len(tail))
    topics: list[str] = []
    for line in tail[start + 1:]:
        words = line.text.split()
        if (line.kind != "text" or len(words) > _TOPIC_MAX_WORDS
                or line.text.endswith(_TERMINAL) or line.text in topics):
            break
        topics.append(line.text)
    return topics


def _append(draft: _Draft, block: Block, credit_line: bool) -> None:
    """Add a block; a lone credit line credits the short caption just before it (an
    "Image source, X" line stands above its photo, and credits nothing before it). A
    paragraph opening with a quotation is the story's, over a photo shown without caption."""
    previous = draft.body[-1] if draft.body else None
    if (credit_line and isinstance(block, Figure) and block.caption is None
            and isinstance(previous, Paragraph)
            and len(previous.text.split()) <= _CAPTION_ABOVE_MAX_WORDS
            and not previous.text.endswith(":") and not to_text(previous.text).startswith(_QUOTE_MARKS)):
        draft.body[-1] = Figure(caption=previous.text, credit=block.credit)
        return
    draft.body.append(block)


def _block_at(lines: list[_Line], i: int, body: list[Block]) -> tuple[Block, int]:
    """The block starting at line i and the index after it."""
    line = lines[i]
    if line.kind in _FIGURE_KINDS:
        return _figure_at(lines, i)
    if _is_numbered_heading(lines, i):
        return Heading(level=2, text=escape_text(line.value)), i + 1
    if line.kind in ("bullet", "numbered"):
        return _list_at(lines, i)
    quote = _quote_at(lines, i)
    if quote:
        return quote
    if _is_heading(lines, i, body):
        return Heading(level=2, text=escape_text(line.text)), i + 1
    return Paragraph(text=escape_text(line.text)), i + 1


def _entry_heading(lines: list[_Line], i: int, authors: list[str]) -> tuple[Heading, int]:
    """A live blog entry's time as a heading, with the entry's headline when a short line
    without a sentence's end (not its writer's name) stands under it, over its text."""
    time = lines[i].text
    entry = lines[i + 1] if i + 1 < len(lines) else None
    if (entry is not None and entry.kind == "text" and entry.text not in authors
            and len(entry.text.split()) <= _HEADING_MAX_WORDS
            and not entry.text.endswith(_TERMINAL) and i + 2 < len(lines)):
        return Heading(level=2, text=escape_text(f"{time} {entry.text}")), i + 2
    return Heading(level=2, text=escape_text(time)), i + 1


def _is_numbered_heading(lines: list[_Line], i: int) -> bool:
    """A listicle's numbered subheading ("3. Live below your means"): a numbered line
    alone, short and without a sentence's end, over a paragraph."""
    if lines[i].kind != "numbered" or i + 1 >= len(lines):
        return False
    text, following = lines[i].text, lines[i + 1]
    return (len(text.split()) <= _HEADING_MAX_WORDS and not text.endswith(_TERMINAL)
            and following.kind == "text" and is_prose(following.text))


def _list_at(lines: list[_Line], i: int) -> tuple[ListBlock, int]:
    """Consecutive bullet (or numbered) lines as one list."""
    kind, items = lines[i].kind, []
    while i < len(lines) and lines[i].kind == kind:
        items.append(escape_text(lines[i].text))
        i += 1
    return ListBlock(ordered=kind == "numbered", items=items), i


def _quote_at(lines: list[_Line], i: int) -> tuple[Quote, int] | None:
    """A pull quote: a wholly quoted line with "— Name" after it or on the next line."""
    match = _QUOTED.match(lines[i].text)
    if not match:
        return None
    quoted = escape_text(match.group("text"))
    if match.group("who"):
        who = match.group("who").strip()
        return (Quote(text=quoted, attribution=who), i + 1) if _is_attribution(who) else None
    following = lines[i + 1] if i + 1 < len(lines) else None
    attribution = _ATTRIBUTION.match(following.text) if following and following.kind == "text" else None
    if attribution and _is_attribution(attribution.group("who")):
        return Quote(text=quoted, attribution=attribution.group("who").strip()), i + 2
    return None


def _is_attribution(who: str) -> bool:
    """A name with perhaps a role ("Captain Oh Seung-ho, ferry master"), not a sentence."""
    return len(who.split()) <= _ATTRIBUTION_MAX_WORDS and who[:1].isupper()


def _is_short_label(block: Block) -> bool:
    """A paragraph of a few words without a sentence's end."""
    if not isinstance(block, Paragraph):
        return False
    text = to_text(block.text)
    return len(text.split()) <= _HEADING_MAX_WORDS and not text.endswith(_TERMINAL)


def _is_question_heading(text: str, following: _Line | None) -> bool:
    """ "What happens next?" over a paragraph answering it: a subheading, while a
    question in the story's flow sits among quotes or is answered on its own line."""
    return (text.endswith("?") and len(text.split()) >= _QUESTION_MIN_WORDS
            and not text.startswith(("“", '"', "'", "‘")) and following is not None
            and is_prose(following.text))


def _is_heading(lines: list[_Line], i: int, body: list[Block]) -> bool:
    """A short unpunctuated line between paragraphs is a subheading; among other short
    lines (a recipe's ingredients) it is a list's item, unless a sentence follows it."""
    text = lines[i].text
    following = lines[i + 1] if i + 1 < len(lines) else None
    if body and _is_short_label(body[-1]) and not (following and is_sentence(following.text)):
        return False
    return (lines[i].kind == "text" and bool(body) and not isinstance(body[-1], Heading)
            and len(text.split()) <= _HEADING_MAX_WORDS and not is_table_row(text)
            and (not text.endswith(_TERMINAL) or _is_question_heading(text, following))
            and (text[0].isupper() or text[0].isdigit())
            and following is not None and following.kind == "text"
            and len(following.text.split()) > len(text.split()))
