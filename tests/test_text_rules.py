"""The line rules pasted text relies on: credits, dates, bylines, reading times."""

from __future__ import annotations

import pytest

from exporter.sources.credits import split_credit
from exporter.sources.meta import date_label, detect_language, parse_byline, parse_date, parse_reading_time


@pytest.mark.parametrize("caption, expected", [
    ("Kim attends the ceremony. Photo: AP", ("Kim attends the ceremony.", "AP")),
    ("Troops at the border. Photograph: Jung Yeon-je/AFP/Getty Images",
     ("Troops at the border.", "Jung Yeon-je/AFP/Getty Images")),
    ("Troops at the border Photograph: Jane Doe/Reuters", ("Troops at the border", "Jane Doe/Reuters")),
    ("Smoke rises over the city (Photo: EPA)", ("Smoke rises over the city", "EPA")),
    ("A boat in the harbour. Credit: Jane Roe", ("A boat in the harbour.", "Jane Roe")),
    ("Soldiers march in Seoul. REUTERS/Kim Hong-Ji", ("Soldiers march in Seoul.", "REUTERS/Kim Hong-Ji")),
    ("Soldiers march in Seoul REUTERS/Kim Hong-Ji", ("Soldiers march in Seoul", "REUTERS/Kim Hong-Ji")),
    ("A crowd watches the parade. AFP via Getty Images",
     ("A crowd watches the parade.", "AFP via Getty Images")),
    ("Kim waves from the podium (AP Photo/Lee Jin-man)", ("Kim waves from the podium", "AP Photo/Lee Jin-man")),
    ("A ship in port. EPA-EFE/JEON HEON-KYUN", ("A ship in port.", "EPA-EFE/JEON HEON-KYUN")),
    ("Kim and Putin. Photo: KCNA via Reuters", ("Kim and Putin.", "KCNA via Reuters")),
    ("Ships sail past. © Jane Doe", ("Ships sail past.", "Jane Doe")),
    ("R&amp;D lab opens. Photo: Handout", ("R&amp;D lab opens.", "Handout")),
    ("Picture by John Smith", ("", "John Smith")),
    ("Guests at the park.Credit...Jean Chung for The Times",
     ("Guests at the park.", "Jean Chung for The Times")),
    ("Rescuers cross a road [Abdul Majeed/AFP]", ("Rescuers cross a road", "Abdul Majeed/AFP")),
    ("渡輪停泊在碼頭。圖：美聯社", ("渡輪停泊在碼頭。", "美聯社")),
    ("渡輪停泊在碼頭（圖片：路透社）", ("渡輪停泊在碼頭", "路透社")),
])
def test_split_credit_splits_credit_shaped_tails(caption: str, expected: tuple[str, str]) -> None:
    assert split_credit(caption) == expected


@pytest.mark.parametrize("sentence", [
    "Putin (left) greets Kim (pictured)",
    "The leader (foreground right) waves",
    "Moon Jae-in at the summit (file photo)",
    "I spoke to the AP",
    "He said: AP",
    "This is the image: nice",
    "He took a photo: the sunset",
    "They fought over copyright law",
    "The meeting in Seoul, reported by Reuters.",
    "Asked whether it would hold, he said: Reuters declined to comment.",
    "The source of the problem: money",
])
def test_split_credit_leaves_ordinary_sentences_alone(sentence: str) -> None:
    assert split_credit(sentence) == (sentence, None)


@pytest.mark.parametrize("line, expected", [
    ("19 June 2024", "2024-06-19"),
    ("June 19, 2024", "2024-06-19"),
    ("Thursday 20 June 2024", "2024-06-20"),
    ("Published: 3:00pm, 26 Jun 2024", "2024-06-26T15:00"),
    ("Published 19 June 2024 at 10:30", "2024-06-19T10:30"),
    ("2024-06-26", "2024-06-26"),
    ("2024-06-26T10:00:00Z", "2024-06-26T10:00:00Z"),
    ("2024-06-26T10:00:00+09:00", "2024-06-26T10:00:00+09:00"),
    ("Updated 26 Jun 2024, 10:00 BST", "2024-06-26T10:00+01:00"),
    ("Mon 24 Jun 2024 06.00 BST", "2024-06-24T06:00+01:00"),
    ("Last modified on Mon 24 Jun 2024 07.12 BST", "2024-06-24T07:12+01:00"),
    ("June 20, 2024 3:15 AM GMT+9", "2024-06-20T03:15+09:00"),
    ("Updated 3:15 AM GMT+9, June 20, 2024", "2024-06-20T03:15+09:00"),
    ("20 June 2024 12:00 GMT", "2024-06-20T12:00Z"),
    ("June 20, 2024, 3:15 a.m. ET", "2024-06-20T03:15"),
    ("2024年6月20日 10:00", "2024-06-20T10:00"),
    ("2024.06.20 10:00", "2024-06-20T10:00"),
    ("Updated 10:00 PM EDT, Thu June 20, 2024", "2024-06-20T22:00-04:00"),
    ("Published On 20 Jun 2024", "2024-06-20"),
    ("Publié le 19 juin 2024 à 10h32", "2024-06-19T10:32"),
    ("Actualizado el 19 de junio de 2024, 10:32", "2024-06-19T10:32"),
    ("Pubblicato il 19 giugno 2024 alle 10:32", "2024-06-19T10:32"),
    ("3 de mayo de 2024", "2024-05-03"),
    ("2 hours ago", None),
    ("20 June", None),
    ("31 Feb 2024", None),
    ("26/06/2024", None),
    ("SEOUL, June 20 (Reuters) -", None),
    ("The summit ended on 19 June 2024.", None),
    ("June 2024 saw 3 meetings", None),
])
def test_parse_date(line: str, expected: str | None) -> None:
    assert parse_date(line) == expected


@pytest.mark.parametrize("line, label", [
    ("Published 19 June 2024", "published"), ("19 June 2024", "published"),
    ("Updated: 20 June 2024", "updated"), ("Last modified on Mon 24 Jun 2024 07.12 BST", "updated"),
    ("Mis à jour le 20 juin 2024", "updated"), ("Actualizado el 19 de junio de 2024", "updated"),
])
def test_date_label(line: str, label: str) -> None:
    assert date_label(line) == label


@pytest.mark.parametrize("line, expected", [
    ("By Jane Doe", ["Jane Doe"]),
    ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("By Jane Doe & John Roe", ["Jane Doe", "John Roe"]),
    ("By Jane Doe, John Roe, and Ann Poe", ["Jane Doe", "John Roe", "Ann Poe"]),
    ("By Jane Doe, John Roe and Ann Poe, BBC News", ["Jane Doe", "John Roe", "Ann Poe"]),
    ("Jane Doe in Busan", ["Jane Doe"]),
    ("By Jane Doe in Busan and John Roe in Seoul", ["Jane Doe", "John Roe"]),
    ("Jane Doe, BBC News, Taipei", ["Jane Doe"]),
    ("Jane Doe, Political Editor", ["Jane Doe"]),
    ("By Jane Doe, Seoul", ["Jane Doe"]),
    ("By Kim Tong-Hyung and Hyung-Jin Kim", ["Kim Tong-Hyung", "Hyung-Jin Kim"]),
    ("By Jean-Luc de la Tour", ["Jean-Luc de la Tour"]),
    ("Analysis by Frank Gardner, BBC security correspondent", ["Frank Gardner"]),
    ("By Reuters Staff", []),
    ("Jane Doe", None),
    ("In Seoul, a Generation Rethinks the Cost of Weddings", None),
    ("By Jane Doe, CNN", ["Jane Doe"]),
    ("By Staff Writer", []),
    ("Seoul, South Korea", None),
    ("Protesters in Seoul", None),
    ("By the end of the year, prices rose.", None),
    ("The war began in 2022.", None),
])
def test_parse_byline(line: str, expected: list[str] | None) -> None:
    assert parse_byline(line) == expected


@pytest.mark.parametrize("line, expected", [
    ("Reading Time:3 minutes", 3), ("Reading time: 6 min", 6), ("5 min read", 5),
    ("4-minute read", 4), ("Lesedauer 4 Minuten", 4), ("閱讀時間：3分鐘", 3),
    ("Lecture : 4 min", 4), ("Lectura: 6 min", 6), ("5 min de lecture", 5), ("3 minuti di lettura", 3),
    ("3 minutes", None), ("I read for 5 min read", None), ("3", None),
])
def test_parse_reading_time(line: str, expected: int | None) -> None:
    assert parse_reading_time(line) == expected


@pytest.mark.parametrize("text, tag", [
    ("The cat sat on the mat and the dog was with it for the day.", "en"),
    ("Der Hund und die Katze ist nicht mit den Kindern, die sich freuen.", "de"),
    ("Le chat et les chiens dans la maison pour une fois, les enfants et des amis.", "fr"),
    ("북한과 러시아의 관계", "ko"), ("日本の首相は東京で会見した", "ja"),
    ("中国外交部发言人表示", "zh-Hans"), ("北韓與俄羅斯關係升溫，這對東北亞會有影響", "zh-Hant"),
    ("Путин прилетел в Пхеньян", "ru"),
    ("", "en"),
])
def test_detect_language(text: str, tag: str) -> None:
    assert detect_language(text) == tag
