"""Real Arabic news: the ANT Corpus v2.1 (antcorpus/antcorpus.multisource.data), read where `fetch` put it.

31,525 articles of 2018 from five Arabic news sites (Alarabia, BBC, CNN, France24, SkyNews) in six sections, one
file each, `<source>/<section>/<id>.txt`, TREC-like: `<DOC><DOCNO>…<URL>…<SRC>…<CAT>…<TITLE>…<TIME>` (RFC 2822)
`<AUTHOR>…<ABSTRACT>…<TEXT>…</TEXT></DOC>`, the body one paragraph a line. The one reader of it for the benchmarks
that need real text (bench.pelican_real, the search benchmark): the corpus is read at run time, from a bare git
directory (git ls-tree, git cat-file --batch) or from any checkout, and never copied into the project.

Where: $ARSHIF_REAL_CORPUS, else the `fetch` mirror when it is on this machine.

Run: .venv/bin/python -m bench.corpus [--sample N] [--json]   (what the corpus, or a sample of it, holds)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

ENV = "ARSHIF_REAL_CORPUS"
MIRROR = Path("/work/.mirror/antcorpus+antcorpus.multisource.data/repo")
SHORT_WORDS = 150  # under this, a brief: a fifth of real news, and what article detection finds hardest
LENGTHS = ((SHORT_WORDS, "short"), (400, "medium"), (None, "long"))  # the sample keeps each class's share
SEED = 28
_NAME = re.compile(r"^[^/]+/[^/]+/[^/]+\.txt$")
_SERIAL = re.compile(r"-(\d+)-\d{8}\.txt$")


class CorpusMissing(Exception):
    """No usable corpus at the place looked at; the message says where it looked and what to set."""


@dataclass(frozen=True)
class Record:
    id: str  # the corpus's DOCNO, e.g. AL-culture-1-20180218
    source: str  # the site: Alarabia, BBC, CNN, France24, SkyNews
    section: str  # culture, economy, internationalNews, middleEast, sport, technology
    title: str
    date: datetime  # aware, as the site gave it
    author: str  # "" when the site names none
    paragraphs: tuple[str, ...]
    url: str = ""  # where the site published it

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)

    @property
    def length(self) -> str:
        """The length class: short (under SHORT_WORDS words), medium or long."""
        return next(name for limit, name in LENGTHS if limit is None or self.words < limit)


def locate(where: str | Path | None = None) -> Path:
    """The corpus folder: `where`, else $ARSHIF_REAL_CORPUS, else the `fetch` mirror; CorpusMissing when absent."""
    chosen = where or os.environ.get(ENV)
    path = Path(chosen) if chosen else MIRROR
    if not path.is_dir():
        wanted = "a git dir or a checkout of antcorpus/antcorpus.multisource.data"
        if where or chosen:
            raise CorpusMissing(f"no corpus at {path}{'' if where else f' ({ENV})'}: {wanted} is wanted")
        raise CorpusMissing(f"no corpus at {path} and {ENV} is not set: set it to {wanted}")
    return path


def _is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def _order(name: str) -> tuple[str, str, int, str]:
    """Source, section, then the corpus's serial number (AL-culture-2 before AL-culture-10)."""
    source, section, base = name.split("/")
    serial = _SERIAL.search(base)
    return source, section, int(serial.group(1)) if serial else 0, base


def _git_files(git_dir: Path) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every article file at HEAD, in _order, through one `git cat-file --batch`."""
    listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", "HEAD"],
                             capture_output=True, check=True).stdout.decode()
    entries = sorted(((line.split("\t", 1)[1], line.split()[2]) for line in listing.split("\0") if "\t" in line
                      and _NAME.match(line.split("\t", 1)[1])), key=lambda e: _order(e[0]))
    batch = subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)

    def ask() -> None:
        try:
            for _, sha in entries:
                batch.stdin.write(f"{sha}\n".encode())
            batch.stdin.close()
        except (BrokenPipeError, ValueError):  # the reader stopped early and closed git
            pass

    feeder = threading.Thread(target=ask, daemon=True)
    feeder.start()
    try:
        for name, _ in entries:
            size = int(batch.stdout.readline().split()[2])
            data = batch.stdout.read(size)
            batch.stdout.read(1)  # the newline after each object
            yield name, data
    finally:
        batch.kill()
        batch.wait()
        feeder.join()


def _checkout_files(folder: Path) -> Iterator[tuple[str, bytes]]:
    names = sorted((p.relative_to(folder).as_posix() for p in folder.glob("*/*/*.txt")), key=_order)
    for name in names:
        yield name, (folder / name).read_bytes()


def _field(text: str, tag: str) -> str:
    found = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.S)
    return found.group(1).strip() if found else ""


def parse(name: str, data: bytes) -> Record:
    """One corpus file as a Record; `name` is its path, <source>/<section>/<file>."""
    text = data.decode("utf-8")
    source, section, base = name.split("/")
    body = _field(text, "TEXT")
    return Record(id=_field(text, "DOCNO") or base.removesuffix(".txt"), source=source,
                  section=_field(text, "CAT") or section, title=" ".join(_field(text, "TITLE").split()),
                  date=parsedate_to_datetime(_field(text, "TIME")), author=" ".join(_field(text, "AUTHOR").split()),
                  paragraphs=tuple(" ".join(line.split()) for line in body.splitlines() if line.strip()),
                  url=_field(text, "URL"))


def records(where: str | Path | None = None) -> Iterator[Record]:
    """Every article of the corpus, by source, section and the corpus's serial number."""
    folder = locate(where)
    files = _git_files(folder) if _is_git_dir(folder) else _checkout_files(folder)
    found = False
    for name, data in files:
        if not data.lstrip().startswith(b"<DOC>"):
            continue  # not one of the corpus's documents (a README, another project's files)
        try:
            record = parse(name, data)
        except ValueError as e:  # a date that is no date, bytes that are not UTF-8
            raise CorpusMissing(f"{folder}/{name} is not an ANT corpus document as expected: {e}") from None
        found = True
        yield record
    if not found:
        raise CorpusMissing(f"no article files (<source>/<section>/<id>.txt) in {folder} (set {ENV})")


def sample(n: int, seed: int = SEED, where: str | Path | None = None) -> list[Record]:
    """`n` articles with a title and a body, no body twice, drawn with `seed` so that each (source, section,
    length class) keeps its share of the corpus (largest remainders): short items stay as common as they are in
    real news. Oldest first."""
    strata: dict[tuple[str, str, str], list[Record]] = {}
    bodies: set[str] = set()
    for record in records(where):
        body = "\n".join(record.paragraphs)
        if not record.title or not body or body in bodies:
            continue
        bodies.add(body)
        strata.setdefault((record.source, record.section, record.length), []).append(record)
    total = sum(len(group) for group in strata.values())
    n = min(n, total)
    quota = {key: len(group) * n / total for key, group in strata.items()}
    counts = {key: int(q) for key, q in quota.items()}
    for key in sorted(quota, key=lambda k: (-(quota[k] - counts[k]), k))[:n - sum(counts.values())]:
        counts[key] += 1
    rng = random.Random(seed)
    chosen = [r for key in sorted(strata) for r in rng.sample(strata[key], counts[key])]
    return sorted(chosen, key=lambda r: (r.date, r.id))


def summary(items: list[Record]) -> dict:
    """What a list of records holds: by source, section and length class; words; dates."""
    words = sorted(r.words for r in items)
    return {"articles": len(items), "by_source": dict(sorted(Counter(r.source for r in items).items())),
            "by_section": dict(sorted(Counter(r.section for r in items).items())),
            "by_length": {name: sum(1 for r in items if r.length == name) for _, name in LENGTHS},
            f"under_{SHORT_WORDS}_words": sum(1 for r in items if r.words < SHORT_WORDS),
            "median_words": words[len(words) // 2] if words else 0,
            "with_author": sum(1 for r in items if r.author),
            "first": min(r.date for r in items).isoformat() if items else None,
            "last": max(r.date for r in items).isoformat() if items else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, help="describe a seeded sample of N articles, not the whole corpus")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    try:
        items = sample(args.sample, args.seed) if args.sample else list(records())
    except CorpusMissing as e:
        print(f"bench.corpus: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    numbers = {"corpus": str(locate()), **summary(items)}
    if args.json:
        print(json.dumps(numbers, ensure_ascii=False, indent=1))
    else:
        print("\n".join(f"{key}: {value}" for key, value in numbers.items()))


if __name__ == "__main__":
    main()
