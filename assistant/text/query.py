"""Question-type rules: what a question asks for (a figure, a date, a definition, a heading),
what answers it, and whether it points at the source text ("according to the essay")."""

from __future__ import annotations

import re

NUMBER_QUESTION = re.compile(
    r"\b(berapa(kah)?(?! lama)|how (many|much)|what (percentage|share|proportion|number)|jumlah|persentase)\b", re.I
)
DATE_QUESTION = re.compile(
    r"^\s*(kapan(kah)?|when)\b|\b(tahun berapa|what year|which year|in what year|sejak kapan)\b", re.I
)
# A factoid question (who, when, where, how many, which, what is the name of...): the kind of question
# the reader was trained on (IDK-MRC/TyDi). Its no-answer margin is trusted on these only: on why/how
# questions with long explanatory answers it declines answers it located (docs/benchmarks.md, "The
# reader's margin on factoid questions").
FACTOID_QUESTION = re.compile(
    r"\b(when|who|whom|whose|how many|how much|how long|how old|what year|which year|which|where|what is the name"
    r"|what was the name|kapan\w*|siapa\w*|berapa\w*|di ?mana\w*|tahun berapa|negara mana|tanggal|apa nama"
    r"|nama \w+ apa|yang mana|manakah|dari ?mana\w*"
    # Questions asking for a name-like entity ("Apakah ibukota ...", "Partai apa ...", "What language ..."), the
    # commonest non-matching form of IDK-MRC *train* questions (not of its validation split, where it is measured).
    r"|apa(?:kah)? (?:nama|ibu ?kota|mata uang|bahasa|warna|agama|jenis|bahan|makanan|suku|kota|negara|album|film"
    r"|lambang|kepanjangan|singkatan|sebutan|istilah|gelar|julukan|judul|bilangan|karya|alat)"
    r"|(?:negara|kota|suku|bahasa|partai|agama|provinsi|pulau|benua|klub|marga) apa(?:kah)?"
    r"|what (?:kind|type|sort) of|what (?:country|city|language|currency|colou?r|religion|title|nationality)"
    r"|stands? for)\b",
    re.I,
)


# What answers "how many / how much": a figure that is not a year or part of an identifier such as
# "53/2017" or "Nomor 53", or a number word ("one"/"satu" left out: mostly "the one", "salah satu").
AMOUNT = re.compile(
    r"(?<![\d/.,])(?<!nomor )(?<!no\. )(?<!number )(?<!pasal )(?<!article )(?<!resolusi )(?<!resolution )"
    r"(?<!keputusan )(?<!decision )(?!(?:19|20)\d\d(?![\d%]))\d+(?:[.,]\d+)*(?![\d/])\s*(%|persen|percent)?"
    r"|\b(dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|belas|puluh|ratus|ribu|juta|"
    r"miliar|triliun|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|"
    r"million|billion|trillion)\b",
    re.I,
)
DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|"
    r"november|desember|january|february|march|may|june|july|august|october|december)\b",
    re.I,
)
DEFINITION_QUESTION = re.compile(
    r"^\s*(apa\s+(itu|yang\s+dimaksud)|apakah\s+(itu|yang\s+dimaksud)|what\s+(is|are)\b|define\b)"
    r"|\b(pengertian|definisi|definition|defined|didefinisikan)\b",
    re.I,
)
DEFINITION_CUE = re.compile(
    r"\b(adalah|ialah|merupakan|didefinisikan|digambarkan sebagai|dipahami sebagai|diartikan|"
    r"is defined as|refers to|means|is the)\b",
    re.I,
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
ASKS_ABOUT_A_HEADING = re.compile(r"\b(heading|headings|section title|judul bagian|subjudul|judul)\b", re.I)
ASKS_ABOUT_A_QUESTION = re.compile(r"\b(question|questions|asks?|pertanyaan|bertanya|tanyakan|ditanyakan)\b", re.I)


_SOURCE_REFERENCE = re.compile(
    r"\b(essay|esai|the text|teks(nya)?|naskah|the author|penulis(nya)?|source text|teks sumber)\b", re.I
)


def refers_to_source(query: str) -> bool:
    """True when a question points at the source text ("according to the essay", "menurut teks")."""
    return bool(_SOURCE_REFERENCE.search(query))
