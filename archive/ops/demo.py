"""`make demo`: the main job end to end on an embedded default — serve the replica, crawl it, show the result.

The replica listens on a fixed port (DEMO_PORT), so a second `make demo` crawls the same origin into the same
archive: it adds a crawl whose unchanged pages are stored as revisit records, instead of founding a new site.
"""

from __future__ import annotations

import os
import subprocess
import sys

from archive.core.paths import data_dir, database
from archive.store.database import Store

DEMO_PORT = int(os.environ.get("ARSHIF_DEMO_PORT", "8765"))
DEMO_ARTICLES = int(os.environ.get("ARSHIF_DEMO_ARTICLES", "300"))


def main() -> int:
    data = data_dir()
    cmd = [sys.executable, "-m", "archive", "replica", "--port", str(DEMO_PORT), "--cdn-port", str(DEMO_PORT + 1),
           "--articles", str(DEMO_ARTICLES)]
    replica = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = replica.stdout.readline().strip()
    if not first.startswith("http://"):
        replica.wait()
        print(f"could not start the replica on port {DEMO_PORT}: {replica.stderr.read().strip()}\n"
              f"(set ARSHIF_DEMO_PORT to another port)", file=sys.stderr)
        return 1
    site = first
    print(f"replica of the site serving {DEMO_ARTICLES} articles at {site}")
    try:
        result = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site", site])
    finally:
        replica.terminate()
        replica.wait()
    if not database(data).exists():
        print(f"the crawl made no archive in {data}/", file=sys.stderr)
        return result.returncode or 1
    with Store.open_for_reading(data, search=False) as store:
        crawls, by_type, totals = store.count("crawls"), store.record_counts(), store.totals()
    files, size = totals["warc_files"], totals["warc_bytes"]
    print(f"\narchive {data}/: {crawls} crawl(s), {by_type.get('response', 0)} responses and "
          f"{by_type.get('revisit', 0)} revisits in {files} WARC file(s), {size / 1e6:.1f} MB")
    # a sample search: a query without hamza or article finds «الأسد», والأسد, للأسد, الأَسَد …
    print(f"\n$ arshif --data {data} search الاسد --limit 3")
    sys.stdout.flush()
    searched = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "search", "الاسد",
                               "--limit", "3"])
    print("\nTry next:\n"
          f"  .venv/bin/arshif --data {data} search '\"الممر الإنساني\"' --count-by month\n"
          f"  .venv/bin/arshif --data {data} search caffe --lang it --json\n"
          f"  .venv/bin/arshif --data {data} serve               # the archive in a browser: http://127.0.0.1:8080/\n"
          f"  .venv/bin/arshif --data {data} verify --deep       # every record and digest checked\n"
          f"  .venv/bin/warcio check {data}/warc/*.warc.gz     # the WARCs, by warcio itself\n"
          f"  make demo                                          # again: unchanged pages become revisits")
    return result.returncode or searched.returncode


if __name__ == "__main__":
    sys.exit(main())
