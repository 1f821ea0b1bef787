"""The labelled query set: queries and the articles each must return, derived from the replica's manifest.

Expectations come from the planted-term records (which article holds which recorded surface form of which word)
and from the manifest's own fields for the filters, never from arshif's normaliser: the set grades the search,
the search does not grade itself. A plain unicode61 FTS5 index is run over the same set for comparison.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass
class Labelled:
    label: str
    args: list[str]          # words of the query, then options
    expected: set[str]       # canonical URLs
    raw: str                 # the same query for plain FTS5 (its own syntax)
    keep: set[str] | None = None   # the articles the options let through (for the plain FTS5 run)


def _q(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def labelled_queries(manifest: dict) -> list[Labelled]:
    articles = manifest["articles"]
    by_url = {a["url"]: a for a in articles}
    holders: dict[str, set[str]] = {}
    form_holders: dict[tuple[str, str], set[str]] = {}
    for a in articles:
        for p in a["planted"]:
            holders.setdefault(p["family"], set()).add(a["url"])
            form_holders.setdefault((p["family"], p["form"]), set()).add(a["url"])
    families = {f["key"]: f for f in manifest["planted_families"]}
    out: list[Labelled] = []

    # every family by the form a researcher would type
    for key, family in families.items():
        if key in ("corridor", "parliament"):
            continue
        out.append(Labelled(f"base {key}", [family["base"]], holders[key], _q(family["base"])))

    # the variation in the query instead of the text: each recorded form typed as the query
    typed = {
        "putin": ("tashkeel", "tatweel", "guillemets"),
        "assad": ("alef", "tashkeel", "guillemets", "clitic-wal", "clitic-lil", "clitic-bal"),
        "responsibility": ("hamza-ya", "hamza-waw-al", "hamza-ya-al"),
        "sicily": ("ha-for-ta",), "hospital": ("ya-for-alef-maqsura",),
        "istanbul": ("alef-bare", "alef-hamza-above", "alef-madda"),
        "number-7319": ("digits-arabic-indic", "digits-persian"),
        "caffe": ("no-accent",), "liberta": ("no-accent",), "vigneto": ("plural",), "sindacato": ("plural",),
    }
    for key, kinds in typed.items():
        for form in families[key]["forms"]:
            if form["kind"] in kinds:
                out.append(Labelled(f"typed {key} {form['kind']}", [form["text"]], holders[key], _q(form["text"])))
    out.append(Labelled("latin name lower case", ["tagliaferri"], holders["tagliaferri"], _q("tagliaferri")))

    # phrases, exclusion, OR, prefix
    phrase = next(f["text"] for f in families["corridor"]["forms"] if f["kind"] == "phrase")
    first, second = phrase.split()
    out.append(Labelled("phrase", [f'"{phrase}"'], form_holders[("corridor", phrase)], _q(phrase)))
    out.append(Labelled("phrase words apart", [first, second], holders["corridor"], f"{_q(first)} {_q(second)}"))
    out.append(Labelled("exclusion", ["الأسد", "-بوتين"], holders["assad"] - holders["putin"],
                        f"{_q('الأسد')} NOT {_q('بوتين')}"))
    out.append(Labelled("exclusion typed with a clitic", ["ميلانو", "-والأسد"], holders["milan"] - holders["assad"],
                        f"{_q('ميلانو')} NOT {_q('والأسد')}"))
    out.append(Labelled("or", ["صقلية", "OR", "إسطنبول"], holders["sicily"] | holders["istanbul"],
                        f"{_q('صقلية')} OR {_q('إسطنبول')}"))
    out.append(Labelled("or italian", ["caffè", "OR", "libertà"], holders["caffe"] | holders["liberta"],
                        f"{_q('caffè')} OR {_q('libertà')}"))
    out.append(Labelled("prefix arabic", ["برلمان*"], holders["parliament"], f"{_q('برلمان')}*"))
    out.append(Labelled("prefix italian", ["sindacat*"], holders["sindacato"], f"{_q('sindacat')}*"))
    out.append(Labelled("prefix with hamza", ["مسؤول*"], holders["responsibility"], f"{_q('مسؤول')}*"))

    # each filter, on values taken from the manifest
    def filtered(label, word, option, value, keep):
        out.append(Labelled(label, [word, option, value], holders_of(word) & keep, _q(word), keep))

    base_of = {f["base"]: k for k, f in families.items()}

    def holders_of(word):
        return holders[base_of[word]]

    italian = {a["url"] for a in articles if a["lang"] == "it"}
    out.append(Labelled("filter lang", ["caffè", "OR", "بوتين", "--lang", "it"],
                        (holders["caffe"] | holders["putin"]) & italian, f"{_q('caffè')} OR {_q('بوتين')}", italian))
    section = Counter(by_url[u]["section"] for u in holders["assad"]).most_common(1)[0][0]
    filtered("filter section", "الأسد", "--section", section, {a["url"] for a in articles if a["section"] == section})
    tag = Counter(t for u in holders["putin"] for t in by_url[u]["tags"]).most_common(1)[0][0]
    filtered("filter tag", "بوتين", "--tag", tag, {a["url"] for a in articles if tag in a["tags"]})
    author = Counter(by_url[u]["author"] for u in holders["milan"]).most_common(1)[0][0]
    filtered("filter author", "ميلانو", "--author", author, {a["url"] for a in articles if a["author"] == author})
    days = sorted(by_url[u]["published"][:10] for u in holders["assad"])
    middle = days[len(days) // 2]
    filtered("filter since", "الأسد", "--since", middle, {a["url"] for a in articles if a["published"][:10] >= middle})
    filtered("filter until", "الأسد", "--until", middle, {a["url"] for a in articles if a["published"][:10] <= middle})
    month = middle[:7]
    filtered("filter month", "الأسد", "--since", month,
             {a["url"] for a in articles if a["published"][:7] >= month})
    return out
