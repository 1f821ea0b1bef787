"""The revisit policy (archive/pages/revisits.py) replayed over a simulated year of a site that announces nothing.

Run: .venv/bin/python -m bench.revisit_sim [--quick] [--json] [--jobs N]

Prints a Markdown section (the table, the grid, the recommended defaults and why) or, with --json, every figure of
every policy. `--quick`: young_interval × changed_factor only, at today's age_share and period, one budget; the full
grid takes minutes (one process a core; a budget below the policy's demand is the slow part: every run chooses
among a growing backlog). Part `revisit_sim` of bench/run.py.

The model (deterministic: one seed per scenario):

- The crawler runs every 30 minutes (48 runs a day). A run's cost is its sources, the same for every policy and not
  counted, plus its revisits: one request per known live article it looks at again.
- The site already has a year of articles when the crawler first runs at t=0 (the back catalogue, all archived by
  that first run, with no history of changes), then publishes for one more year. Publication: R articles a day,
  each at a uniform time of its day. A new article is archived by the first run after it appears (a source fetch,
  not a revisit). Edits and deletions in the measured year [0, 365 d) are counted; checks go on for 60 days more
  (no new articles) so that every policy has its chance to catch an edit made late in the year.
- Edits: an article is edited with probability E; an edited one is edited a second time with probability 0.3. Each
  edit's time after publication is drawn independently: with probability 0.8 exponential with mean 12 h, otherwise
  uniform over the article's first year. Deletions: with probability D, at a uniform time in the article's first
  year; an edit after its article's deletion does not happen. An edit or a deletion before the article's first
  fetch is seen by that fetch, and not counted.
- A check sees the article's latest state. An edit is caught when a check falls after it and before the next edit
  (or the deletion): two edits between two checks are one change seen, and the earlier edit is lost. Its delay is
  the time from the edit to the first check after it. A deletion is caught by the first check after it.
- Policies: `--refresh` every run (every known live article every run); announce-only (today's rule on a site that
  announces nothing: a known article is never fetched again, except a deleted one, which leaves the sitemap and is
  re-checked the next run, so deletions are caught within one run and edits never); and RevisitPolicy over a grid.
  RevisitPolicy's deletion figures are what its revisits alone catch (a deleted article that stays in the sitemap,
  or a site with no sitemap); on a sitemap that drops deleted articles the announce rule catches them within a run
  whatever the revisit policy.
- A revisit policy's schedule is the module's own rule: an article is checked at the first run where
  `RevisitPolicy.due(age, since_check, changes, url)` holds (solved in closed form for all articles at once, and
  checked against `due` in tests/bench/test_bench_revisit_sim.py), and when more are due than the budget allows, the
  most urgent are taken (`urgency`, then the URL, as `choose` does). `changes` is the number of checks that saw a
  change.

Scenarios: low (5 articles a day, 2 % edited, 0.1 % deleted) and high (100 a day, 20 % edited, 2 % deleted).

Trust in lastmod (issue 28): the same sites with a sitemap `lastmod`, honest (it moves with edits) or lying (the
publication date), with and without the run's audit of the articles looked at longest ago; see `replay_lying`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

from archive.pages.revisits import DAY, HOUR, RevisitPolicy, spread

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy comes with matplotlib, the bench extra
    np = None

TICK = 1800.0                   # seconds between two runs: every 30 minutes
RUNS_PER_DAY = int(DAY // TICK)
YEAR = 365 * DAY
TAIL = 60 * DAY                 # checks go on this long after the measured year (the longest period of the grid)
SECOND_EDIT = 0.3               # an edited article is edited again with this probability
EARLY_SHARE = 0.8               # an edit's time after publication: exponential with this probability …
EARLY_MEAN = 12 * HOUR          # … with this mean,
LATE_SPAN = 365 * DAY           # otherwise uniform over this span; a deletion's too
FIRST_WEEK = 7 * DAY
EPS = 1e-9
NONE = -1                       # no check (yet) in a tick array
NEVER = 2 ** 62                 # the next due run of a deleted article


@dataclass(frozen=True)
class Scenario:
    name: str
    per_day: int
    edit_share: float
    delete_share: float
    seed: int
    sites: int = 1              # independent sites (seeds) simulated side by side, figures pooled
    days: int = 365             # the measured span, after a back catalogue as long


# The low scenario's site makes about 50 edits a year: its figures pool 20 such sites (each with its own budget), so
# that one edit is not two points of a percentage.
SCENARIOS = (Scenario("low", 5, 0.02, 0.001, seed=5, sites=20), Scenario("high", 100, 0.20, 0.02, seed=100))

# The grid (ChangedFactor 1.0 only without a budget: it is the knob for articles seen to change, not for the cap).
YOUNG_INTERVALS = (2 * HOUR, 6 * HOUR, 12 * HOUR)
AGE_SHARES = (0.1, 0.25, 0.5)
PERIODS = (14 * DAY, 30 * DAY, 60 * DAY)
BUDGET_SHARES = (0.0, 0.01, 0.02)   # of the live articles at the first run (the back catalogue); 0: none
CHANGED_FACTORS = (0.5, 1.0)
YOUNG = RevisitPolicy().young       # the grid keeps the module's `young`; the recommended set is tried with these too
BEYOND_YOUNG = (1 * DAY, 2 * DAY, 3 * DAY)
TODAY = RevisitPolicy()             # the module's defaults, for comparison
# A budget below what the policy asks for (yi 2 h asks for about 230 revisits a run on the high site; this cap is
# 181): what the budget then does to the oldest articles. Slow to replay (every run chooses among a growing
# backlog): full grid only.
STARVED = {"kind": "revisit", "young": YOUNG, "young_interval": 2 * HOUR, "age_share": 0.25, "period": 30 * DAY,
           "changed_factor": 0.5, "budget_share": 0.005}
QUICK_GRID = {"young_intervals": (2 * HOUR, 6 * HOUR, 12 * HOUR), "age_shares": (0.25,), "periods": (30 * DAY,),
              "budget_shares": (0.0, 0.01), "changed_factors": (0.5, 1.0)}

# The recommendation: the cheapest set (mean revisits per run in the high scenario) that, in every scenario, catches
# this share of edits, catches first-week edits with at most this median delay, and whose slowest deletion is
# caught within the period.
MIN_CAUGHT = 0.95
MAX_YOUNG_MEDIAN = 12 * HOUR


# -- the site --------------------------------------------------------------------------------------------------------

@dataclass
class Site:
    """One article a row: publication, first fetch (a tick), edits (two columns, inf: none, sorted), deletion (inf:
    none), URL spread (archive.pages.revisits.spread), which of the independent sites it is on; the counting window in
    ticks."""
    pub: np.ndarray
    first: np.ndarray
    edits: np.ndarray
    deleted: np.ndarray
    spread: np.ndarray
    group: np.ndarray
    groups: int
    window: int                 # runs measured: ticks [0, window)
    end: int                    # the last tick simulated

    def __len__(self) -> int:
        return len(self.pub)


def make_site(s: Scenario, sites: int | None = None) -> Site:
    """The scenario's `sites` independent sites, side by side."""
    parts = [_one_site(s, g) for g in range(sites or s.sites)]
    window = s.days * RUNS_PER_DAY
    return Site(*(np.concatenate([part[i] for part in parts]) for i in range(6)), len(parts), window,
                window + int(TAIL // TICK))


def _one_site(s: Scenario, g: int) -> tuple:
    rng = np.random.default_rng([s.seed, g])
    days = np.arange(-s.days, s.days)
    pub = np.repeat(days * DAY, s.per_day) + rng.uniform(0, DAY, len(days) * s.per_day)
    pub.sort()
    n = len(pub)

    def offsets() -> np.ndarray:
        early = rng.random(n) < EARLY_SHARE
        return np.where(early, rng.exponential(EARLY_MEAN, n), rng.uniform(0, LATE_SPAN, n))

    edited = rng.random(n) < s.edit_share
    twice = edited & (rng.random(n) < SECOND_EDIT)
    one, two = offsets(), offsets()
    edits = np.full((n, 2), np.inf)
    edits[edited, 0] = pub[edited] + one[edited]
    edits[twice, 1] = pub[twice] + two[twice]
    edits.sort(axis=1)
    deleted = np.where(rng.random(n) < s.delete_share, pub + rng.uniform(0, LATE_SPAN, n), np.inf)
    edits[edits >= deleted[:, None]] = np.inf
    first = np.where(pub < 0, 0, np.floor(pub / TICK).astype(np.int64) + 1)
    keep = deleted > first * TICK   # deleted before the crawler ever saw it: not in the archive at all
    keys = np.array([spread(f"https://site{g}.example/{s.name}/{i}") for i in range(n)])
    return pub[keep], first[keep], edits[keep], deleted[keep], keys[keep], np.full(int(keep.sum()), g)


def tiny_site(pub, edits=(), deleted=None, days: float = 30, tail: float = 30) -> Site:
    """A hand-made site for tests: publication times (seconds), each article's edit times, its deletion time."""
    pub = np.asarray(pub, dtype=float)
    n = len(pub)
    e = np.full((n, 2), np.inf)
    for i, times in enumerate(edits):
        for j, t in enumerate(sorted(times)[:2]):
            e[i, j] = t
    d = np.full(n, np.inf) if deleted is None else np.array([np.inf if x is None else x for x in deleted])
    first = np.where(pub < 0, 0, np.floor(pub / TICK).astype(np.int64) + 1)
    keys = np.array([spread(f"https://site.example/tiny/{i}") for i in range(n)])
    window = int(days * DAY // TICK)
    return Site(pub, first, e, d, keys, np.zeros(n, dtype=np.int64), 1, window, window + int(tail * DAY // TICK))


# -- the policy, for all articles at once ----------------------------------------------------------------------------

def intervals(p: RevisitPolicy, age, changes, keys):
    """RevisitPolicy.interval for arrays."""
    base = np.where(age < p.young, p.young_interval, np.maximum(p.young_interval, age * p.age_share))
    base = base * p.changed_factor ** np.minimum(changes, 3)
    return np.clip(base, p.young_interval, p.period) * (1 - 0.2 * keys)


def next_due(p: RevisitPolicy, site: Site, idx, last, changes):
    """The first run (a tick) after `last` where RevisitPolicy.due holds for each article of `idx`: the interval is
    computed with the age at that run, so it is solved for, in the young regime, then past it."""
    pub, k = site.pub[idx], 1 - 0.2 * site.spread[idx]   # the spread shortens an interval by up to a fifth
    m = p.changed_factor ** np.minimum(changes, 3)
    lt = last * TICK
    young = k * np.clip(m * p.young_interval, p.young_interval, p.period)
    t_young = last + np.ceil(young / TICK - EPS).astype(np.int64)
    # past `young`: interval = k · min(P, max(A, B · age)), due once since ≥ interval
    a, kb = k * np.maximum(p.young_interval, m * p.young_interval), k * m * p.age_share
    with np.errstate(divide="ignore", invalid="ignore"):
        grown = np.where(kb < 1, kb * (lt - pub) / (1 - kb), np.inf)
    since = np.minimum(k * p.period, np.maximum(a, grown))
    t_old = np.ceil(np.maximum(pub + p.young, lt + since) / TICK - EPS).astype(np.int64)
    return np.where(t_young * TICK - pub < p.young, t_young, t_old)


# -- the replay ------------------------------------------------------------------------------------------------------

class Replay:
    """What the checks saw: per edit, the first check after it; per article, the check that found it deleted; per
    site and run, the revisits made. `due`: each article's next due run (NEVER once found deleted)."""

    def __init__(self, site: Site):
        self.site = site
        n = len(site)
        self.seen = np.full((n, 2), NONE, dtype=np.int64)
        self.found_deleted = np.full(n, NONE, dtype=np.int64)
        self.requests = np.zeros((site.groups, site.end + 1), dtype=np.int64)   # per site and run, the tail's too
        self.left_out_runs = 0
        self.last = site.first.copy()
        self.changes = np.zeros(n, dtype=np.int64)
        self.due = np.full(n, NEVER, dtype=np.int64)

    def copy(self) -> Replay:
        other = Replay.__new__(Replay)
        other.__dict__.update({k: v.copy() if isinstance(v, np.ndarray) else v for k, v in self.__dict__.items()})
        return other

    def check(self, p: RevisitPolicy, idx, ticks, run: int | None = None) -> None:
        """Check articles `idx` at runs `ticks` (all at `run`, when given) and schedule their next check."""
        site = self.site
        before, now = self.last[idx] * TICK, ticks * TICK
        changed = np.zeros(len(idx), dtype=bool)
        for j in (0, 1):
            e = site.edits[idx, j]
            hit = (e > before) & (e <= now)
            self.seen[idx[hit], j] = ticks[hit]
            changed |= hit
        gone = site.deleted[idx] <= now
        self.found_deleted[idx[gone]] = ticks[gone]
        self.changes[idx] += changed & ~gone
        self.last[idx] = ticks
        if run is None:
            np.add.at(self.requests, (site.group[idx], ticks), 1)
        elif site.groups == 1:
            self.requests[0, run] += idx.size
        else:
            self.requests[:, run] += np.bincount(site.group[idx], minlength=site.groups)
        self.due[idx] = np.where(gone, NEVER, next_due(p, site, idx, ticks, self.changes[idx]))

    def free_run(self, p: RevisitPolicy, until: int) -> None:
        """Every check up to run `until`, with no budget: articles do not compete then, so each goes from check to
        check on its own, all of them a step at a time."""
        idx = np.flatnonzero(self.due <= until)
        while idx.size:
            self.check(p, idx, self.due[idx])
            idx = idx[self.due[idx] <= until]


def replay_policy(p: RevisitPolicy, site: Site) -> Replay:
    """RevisitPolicy over the site; with a budget, replay_budget."""
    if p.budget:
        return replay_budget(p, site)
    r = Replay(site)
    r.due = next_due(p, site, np.arange(len(site)), r.last, r.changes)
    r.free_run(p, site.end)
    return r


def replay_budget(p: RevisitPolicy, site: Site, ahead: int = RUNS_PER_DAY) -> Replay:
    """RevisitPolicy with a budget, run by run: on each site, its due articles, the most urgent first, up to the
    budget. While no article is overdue, the runs up to `ahead` later are tried without the budget, and kept up to
    the first run that would ask for more than it (the same checks as run by run: below the budget it chooses
    nothing)."""
    r = Replay(site)
    r.due = next_due(p, site, np.arange(len(site)), r.last, r.changes)
    t, wait, backoff = 1, 0, 1
    while t <= site.end:
        if wait:
            wait -= 1
        elif r.due.min() >= t:
            until = min(t + ahead - 1, site.end)
            trial = r.copy()
            trial.free_run(p, until)
            over = np.flatnonzero((trial.requests[:, t:until + 1] > p.budget).any(axis=0))
            if not over.size:
                r, t, backoff = trial, until + 1, 1
                continue
            if over[0]:
                r.free_run(p, t + over[0] - 1)
                t += over[0]
            else:   # the budget binds at once: run by run for a while, longer each time
                wait, backoff = backoff, min(2 * backoff, ahead)
        idx = np.flatnonzero(r.due <= t)
        if idx.size > p.budget:
            group = site.group[idx]
            counts = np.bincount(group, minlength=site.groups)
            over = np.flatnonzero(counts > p.budget)
            if over.size:
                age = t * TICK - site.pub[idx]
                urgency = (t - r.last[idx]) * TICK / intervals(p, age, r.changes[idx], site.spread[idx])
                if site.groups == 1:
                    idx = _most_urgent(idx, urgency, p.budget)
                else:
                    crowded = counts[group] > p.budget
                    idx = np.concatenate([idx[~crowded], *(
                        _most_urgent(idx[group == g], urgency[group == g], p.budget) for g in over)])
                if t < site.window:
                    r.left_out_runs += over.size
        if idx.size:
            r.check(p, idx, np.full(idx.size, t, dtype=np.int64), t)
        t += 1
    return r


def _most_urgent(idx, urgency, budget: int):
    """The `budget` articles of `idx` (ascending) that `choose` takes: the most urgent, ties by URL (here, by
    article)."""
    if idx.size <= budget:
        return idx
    kth = np.partition(urgency, idx.size - budget)[idx.size - budget]   # the budget-th largest urgency
    above = urgency > kth
    tied = np.flatnonzero(urgency == kth)[:budget - int(above.sum())]
    return np.concatenate([idx[above], idx[tied]])


def replay_refresh(site: Site) -> Replay:
    """`--refresh` every run: every known live article, every run."""
    r = Replay(site)
    for j in (0, 1):
        e = site.edits[:, j]
        ok = np.isfinite(e)
        r.seen[ok, j] = np.floor(e[ok] / TICK).astype(np.int64) + 1
    r.found_deleted = _next_run(site.deleted)
    r.requests = _live(site, site.first + 1, np.where(r.found_deleted == NONE, site.end, r.found_deleted),
                       site.end)
    r.seen[r.seen > site.end] = NONE
    return r


def replay_announce(site: Site) -> Replay:
    """Announce-only: known articles are never fetched again, except a deleted one the run after it leaves the
    sitemap."""
    r = Replay(site)
    r.found_deleted = _next_run(site.deleted)
    found = np.flatnonzero((r.found_deleted != NONE) & (r.found_deleted <= site.end))
    r.requests = _per_run(site, found, r.found_deleted[found])
    return r


def _per_run(site: Site, idx, ticks) -> np.ndarray:
    """Per site and run 0..end, how many of these (article, run) there are."""
    size = site.end + 1
    return np.bincount(site.group[idx] * size + ticks, minlength=site.groups * size).reshape(site.groups, size)


def _live(site: Site, start, stop, end: int) -> np.ndarray:
    """Per site and run 0..end, how many articles have start <= run <= stop."""
    stop = np.minimum(stop, end)
    diff = np.zeros((site.groups, end + 2), dtype=np.int64)
    ok = start <= stop
    np.add.at(diff, (site.group[ok], start[ok]), 1)
    np.add.at(diff, (site.group[ok], stop[ok] + 1), -1)
    return np.cumsum(diff, axis=1)[:, :end + 1]


def _next_run(times) -> np.ndarray:
    out = np.full(len(times), NONE, dtype=np.int64)
    ok = np.isfinite(times)
    out[ok] = np.floor(times[ok] / TICK).astype(np.int64) + 1
    return out


# -- the figures -----------------------------------------------------------------------------------------------------

def _q(values, q: float) -> float | None:
    return round(float(np.quantile(values, q)) / HOUR, 2) if len(values) else None


def metrics(r: Replay) -> dict:
    site = r.site
    e, seen = site.edits, r.seen
    start = site.first[:, None] * TICK
    counted = np.isfinite(e) & (e > start) & (e >= 0) & (e < site.window * TICK)
    after = np.stack([np.minimum(e[:, 1], site.deleted), site.deleted], axis=1)   # what ends each edit's state
    caught = counted & (seen != NONE) & (seen * TICK < after)
    delays = (seen * TICK - e)[caught]
    in_period = int((delays <= PROMISED_PERIOD).sum())   # seen within the period every article is promised
    young = counted & (e - site.pub[:, None] < FIRST_WEEK)
    young_delays = (seen * TICK - e)[caught & young]
    old_delays = (seen * TICK - e)[caught & ~young]
    d = site.deleted
    dels = np.isfinite(d) & (d >= 0) & (d < site.window * TICK)
    found = dels & (r.found_deleted != NONE)
    del_delays = (r.found_deleted * TICK - d)[found]
    n_edits, n_caught, n_dels = int(counted.sum()), int(caught.sum()), int(dels.sum())
    req = r.requests[:, :site.window]
    live = _live(site, site.first, np.ceil(np.minimum(d, 1e18) / TICK).astype(np.int64) - 1, site.window - 1)
    return {
        "edits": n_edits, "edits_caught": n_caught,
        "edits_caught_pct": round(100 * n_caught / n_edits, 2) if n_edits else None,
        "edits_caught_in_period_pct": round(100 * in_period / n_edits, 2) if n_edits else None,
        "delay_median_h": _q(delays, 0.5), "delay_p95_h": _q(delays, 0.95),
        "first_week_edits": int(young.sum()),
        "first_week_caught_pct": round(100 * int((caught & young).sum()) / int(young.sum()), 2) if young.any()
        else None,
        "first_week_delay_median_h": _q(young_delays, 0.5), "first_week_delay_p95_h": _q(young_delays, 0.95),
        "later_delay_median_h": _q(old_delays, 0.5),
        "deletions": n_dels, "deletions_caught_pct": round(100 * int(found.sum()) / n_dels, 2) if n_dels else None,
        "deletion_delay_median_h": _q(del_delays, 0.5), "deletion_delay_max_h": _q(del_delays, 1.0),
        "requests_per_run_mean": round(float(req.mean()), 2), "requests_per_run_p95": float(np.quantile(req, 0.95)),
        "requests_per_run_max": int(req.max()),
        "requests_per_caught_edit": round(int(req.sum()) / n_caught, 1) if n_caught else None,
        "budget_left_out_runs_pct": round(100 * r.left_out_runs / req.size, 2),
        "live_articles_mean": round(float(live.mean())),
    }


# -- trust in lastmod: the audit (crawler/discovery/lastmod_audit.py) ----------------------------------------------
# The same sites, now with a sitemap that gives every article a `lastmod`. On an honest site it moves with every edit:
# the edited article is refetched by the next run (a source fetch, counted here as a request). On a lying site it is
# the publication date and never moves: without the audit no edit is ever seen (announce-only). With the audit, each
# run asks for the `size` articles of each site looked at longest ago (ties by URL), none looked at within the young
# interval; the first audit that finds the
# text changed loses the site's trust, and from the next run all its articles are on the revisit schedule (today's
# RevisitPolicy, no budget), scheduled from their last look. An audit on an honest site never finds an edit (its
# lastmod would have moved), so it costs its requests and changes nothing else. Deleted articles leave the sitemap:
# found by the next run (the announce rule), never audited. Reference: the same site with no lastmod at all (the
# revisit schedule from the start).
AUDIT_SIZES = (5, 20)   # ARSHIF_LASTMOD_AUDIT's default is 20


def replay_honest(site: Site, audit: int) -> Replay:
    """lastmod follows edits: each edit refetched by the next run; plus `audit` audits a run on each site."""
    r = Replay(site)
    for j in (0, 1):
        e = site.edits[:, j]
        ok = np.isfinite(e) & (e > site.first * TICK)
        r.seen[ok, j] = np.floor(e[ok] / TICK).astype(np.int64) + 1
    r.seen[r.seen > site.end] = NONE
    r.found_deleted = _next_run(site.deleted)
    refetched = np.unique(np.concatenate([np.flatnonzero(r.seen[:, j] != NONE) * (site.end + 1) + r.seen[:, j][
        r.seen[:, j] != NONE] for j in (0, 1)]))   # an article refetched once a run, however many edits
    r.requests = _per_run(site, refetched // (site.end + 1), refetched % (site.end + 1))
    if audit:
        live = _live(site, site.first + 1, np.where(r.found_deleted == NONE, site.end, r.found_deleted - 1), site.end)
        r.requests += np.minimum(live, audit)
    return r


def replay_lying(p: RevisitPolicy, site: Site, audit: int) -> tuple[Replay, np.ndarray]:
    """lastmod is the publication date: `audit` audits a run, oldest-checked first, on each site until one finds an
    edit; that site's articles then follow RevisitPolicy. Returns the replay and, per site, the run that lost the
    trust (NONE: never)."""
    r = Replay(site)
    lost = np.full(site.groups, NONE, dtype=np.int64)
    if audit:
        for t in range(1, site.end + 1):
            trusted = lost[site.group] == NONE
            cand = np.flatnonzero(trusted & (site.first < t) & (site.deleted > t * TICK)
                                  & ((t - r.last) * TICK >= p.young_interval))   # not one just looked at
            if not trusted.any():
                break
            if not cand.size:
                continue
            c = cand[np.lexsort((site.spread[cand], r.last[cand], site.group[cand]))]
            g = site.group[c]
            rank = np.arange(c.size) - np.searchsorted(g, g)   # place within its site, g being sorted
            picked = c[rank < audit]
            before = r.changes[picked].copy()
            r.check(p, picked, np.full(picked.size, t, dtype=np.int64), t)
            r.due[picked] = NEVER
            for grp in np.unique(site.group[picked[r.changes[picked] > before]]):
                lost[grp] = t
                idx = np.flatnonzero((site.group == grp) & (r.found_deleted == NONE))
                r.due[idx] = np.maximum(next_due(p, site, idx, r.last[idx], r.changes[idx]), t + 1)
        r.free_run(p, site.end)
    announced = _next_run(site.deleted)   # the sitemap drops a deleted article: the next run re-checks it
    found = np.flatnonzero(announced != NONE)
    r.requests += _per_run(site, found, np.minimum(announced[found], site.end))
    r.found_deleted = np.where(r.found_deleted == NONE, announced, np.minimum(r.found_deleted, announced))
    return r, lost


def lastmod_family(s: Scenario, sizes: tuple[int, ...] = AUDIT_SIZES) -> dict:
    """Every row of the lastmod table over one scenario."""
    site, p = _site(s), TODAY
    rows = {"honest, no audit": metrics(replay_honest(site, 0))}
    for n in sizes:
        rows[f"honest, audit {n}"] = metrics(replay_honest(site, n))
    rows["lying, no audit"] = metrics(replay_announce(site))
    for n in sizes:
        r, lost = replay_lying(p, site, n)
        days = (lost[lost != NONE] * TICK / DAY)
        rows[f"lying, audit {n}"] = {**metrics(r), "sites_lost": int((lost != NONE).sum()), "sites": site.groups,
                                     "lost_after_days_median": round(float(np.median(days)), 2) if days.size
                                     else None, "lost_after_days_max": round(float(days.max()), 2) if days.size
                                     else None}
    rows["no lastmod (the revisit schedule)"] = metrics(replay_policy(p, site))
    return rows


def lastmod_run(scenarios: tuple[Scenario, ...] = SCENARIOS, jobs: int | None = None) -> dict:
    """The lastmod table: honest and lying sites, with and without the audit, per scenario."""
    jobs = min(jobs or os.cpu_count() or 1, len(scenarios))
    if jobs > 1:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            done = list(pool.map(lastmod_family, scenarios))
    else:
        done = [lastmod_family(s) for s in scenarios]
    today = label({"kind": "revisit", "young": TODAY.young, "young_interval": TODAY.young_interval,
                   "age_share": TODAY.age_share, "period": TODAY.period, "changed_factor": TODAY.changed_factor,
                   "budget_share": 0})
    return {"policy": today, "sizes": list(AUDIT_SIZES),
            "rows": {s.name: rows for s, rows in zip(scenarios, done, strict=True)}}


def lastmod_markdown(result: dict) -> list[str]:
    if not result:
        return []
    text = ["#### Trust in lastmod: the audit", "",
            "The same simulated sites with a sitemap `lastmod` on every article (crawler/discovery/lastmod_audit.py). "
            "**Honest**: it moves with every edit, and the next run refetches the article. **Lying**: it is the "
            "publication date and never moves (Pelican's). **Audit N** (`ARSHIF_LASTMOD_AUDIT`): each run asks for "
            "the N articles of each site looked at longest ago; the first that shows an edit loses the site's trust, "
            "and its articles join the revisit schedule (today's defaults, "
            f"{result['policy']}). Requests per run: refetches of announced edits, audits and revisits (the "
            "sources are not counted). Caught in the period: edits seen within 30 days.", "",
            "| scenario | site | edits caught | in the period | delay median / p95 | requests per run: mean / "
            "p95 | trust lost after (median / slowest; sites) |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for scenario, rows in result["rows"].items():
        for name, r in rows.items():
            lost = (f"{_f(r['lost_after_days_median'], '.1f')} / {_f(r['lost_after_days_max'], '.1f')} d; "
                    f"{r['sites_lost']} of {r['sites']}" if "sites_lost" in r else "")
            text.append(f"| {scenario} | {name} | {_f(r['edits_caught_pct'])} % of {r['edits']:,} | "
                        f"{_f(r['edits_caught_in_period_pct'])} % | {_delay(r['delay_median_h'])} / "
                        f"{_delay(r['delay_p95_h'])} | {r['requests_per_run_mean']:.1f} / "
                        f"{r['requests_per_run_p95']:.0f} | {lost} |")
    return [*text, ""]


# -- the grid and the recommendation ---------------------------------------------------------------------------------

def _hours(seconds: float) -> str:
    return f"{seconds / DAY:g}d" if seconds >= DAY else f"{seconds / HOUR:g}h"


def label(p: dict) -> str:
    if p["kind"] != "revisit":
        return p["kind"]
    young = "" if p.get("young", YOUNG) == YOUNG else f"young {_hours(p['young'])}, "
    budget = f"budget {100 * p['budget_share']:g} %" if p["budget_share"] else "no budget"
    return (f"{young}yi {_hours(p['young_interval'])}, share {p['age_share']:g}, period {_hours(p['period'])}, "
            f"cf {p['changed_factor']:g}, {budget}")


def grid(quick: bool = False) -> list[dict]:
    g = QUICK_GRID if quick else {"young_intervals": YOUNG_INTERVALS, "age_shares": AGE_SHARES, "periods": PERIODS,
                                  "budget_shares": BUDGET_SHARES, "changed_factors": CHANGED_FACTORS}
    sets = [{"kind": "refresh"}, {"kind": "announce-only"}]
    for yi, share, period, budget, cf in itertools.product(g["young_intervals"], g["age_shares"], g["periods"],
                                                           g["budget_shares"], g["changed_factors"]):
        if budget and cf != 0.5:
            continue
        sets.append({"kind": "revisit", "young": YOUNG, "young_interval": yi, "age_share": share, "period": period,
                     "changed_factor": cf, "budget_share": budget})
    if not quick:
        sets.append(dict(STARVED))
    for p in sets:
        p["name"] = label(p)
    return sets


def simulate(p: dict, site: Site, live_at_start: int, uncapped: dict | None = None) -> dict:
    """One policy over one site. `uncapped`: the same set's replay without a budget; when no run of it went over
    this budget, the budget never chose anything and the figures are the same."""
    if p["kind"] == "refresh":
        return metrics(replay_refresh(site))
    if p["kind"] == "announce-only":
        return metrics(replay_announce(site))
    budget = max(1, round(p["budget_share"] * live_at_start)) if p["budget_share"] else 0
    policy = RevisitPolicy(period=p["period"], young=p.get("young", YOUNG), young_interval=p["young_interval"],
                           age_share=p["age_share"], changed_factor=p["changed_factor"], budget=budget)
    if budget and uncapped and uncapped["max_demand"] <= budget:
        return {**uncapped["metrics"], "budget": budget, "budget_never_reached": True}
    r = replay_policy(policy, site)
    out = metrics(r)
    if budget:
        out["budget"] = budget
    else:  # the most any run asked for, the tail's runs included (a budget acts there too)
        out["max_demand"] = int(r.requests.max())
    return out


_SITES: dict = {}


def _site(s: Scenario) -> Site:
    """The scenario's site, made once a process."""
    if (s, TAIL) not in _SITES:
        _SITES[s, TAIL] = make_site(s)
    return _SITES[s, TAIL]


def _family(task: tuple[Scenario, list[dict]]) -> dict[str, dict]:
    """A set without a budget, then the same with budgets, over one scenario."""
    s, family = task
    site = _site(s)
    live = int(((site.first == 0) & (site.deleted > 0)).sum()) // site.groups   # per site, at the first run
    out, uncapped = {}, None
    for p in family:
        m = simulate(p, site, live, uncapped)
        if p["kind"] == "revisit" and not p["budget_share"]:
            uncapped = {"max_demand": m.pop("max_demand"), "metrics": m}
        out[p["name"]] = m
    return out


# Operators are promised that every article is looked at again within 30 days by default (docs/operating.md); a
# longer period is cheaper but breaks that promise, so it is measured, never recommended.
PROMISED_PERIOD = 30 * DAY


def passes(p: dict, by_scenario: dict) -> list[str]:
    """Why this set is not acceptable (empty: it is)."""
    why = []
    if p["period"] > PROMISED_PERIOD:
        why.append(f"period {_delay(p['period'] / HOUR)} is longer than the {_delay(PROMISED_PERIOD / HOUR)} "
                   "every article is promised (ARSHIF_REVISIT_PERIOD's default)")
    if p["changed_factor"] >= 1:
        why.append("an article that changed before is not looked at sooner (a rule of the policy)")
    for name, m in by_scenario.items():
        if m["edits_caught_pct"] is not None and m["edits_caught_pct"] < 100 * MIN_CAUGHT:
            why.append(f"{name}: {m['edits_caught_pct']:.1f} % of edits caught")
        if (m["first_week_delay_median_h"] or 0) > MAX_YOUNG_MEDIAN / HOUR:
            why.append(f"{name}: first-week median delay {m['first_week_delay_median_h']:.1f} h")
        if (m["deletion_delay_max_h"] or 0) > p["period"] / HOUR:
            why.append(f"{name}: slowest deletion {_delay(m['deletion_delay_max_h'])} > period")
    return why


def recommend(sets: list[dict], results: dict) -> dict:
    """The cheapest acceptable set by mean revisits per run in the high scenario (then the low one)."""
    scenarios = list(results)
    rows = []
    for p in sets:
        if p["kind"] != "revisit":
            continue
        by = {s: results[s][p["name"]] for s in scenarios}
        cost = tuple(by[s]["requests_per_run_mean"] for s in reversed(scenarios))
        rows.append((cost, p, passes(p, by)))
    rows.sort(key=lambda row: row[0])
    ok = [row for row in rows if not row[2]]
    if not ok:
        return {"name": None, "reasoning": ["No set of the grid meets every condition."]}
    cost, best, _ = ok[0]
    cheaper = [(p["name"], why) for c, p, why in rows if c < cost][:6]
    refresh = {s: results[s]["refresh"] for s in scenarios}
    by = {s: results[s][best["name"]] for s in scenarios}
    reasoning = [
        f"Conditions, in every scenario: ≥ {100 * MIN_CAUGHT:g} % of edits caught, median delay ≤ "
        f"{MAX_YOUNG_MEDIAN / HOUR:g} h for edits in an article's first week, slowest deletion caught within the "
        "period; the cheapest by mean revisits per run in the high scenario.",
        f"{len(ok)} of {len(rows)} sets meet them; the cheapest is {best['name']}.",
        *(f"{s}: {_f(m['edits_caught_pct'])} % of edits caught (refresh {_f(refresh[s]['edits_caught_pct'])} %), "
          f"first-week median delay {_delay(m['first_week_delay_median_h'])}, slowest deletion "
          f"{_delay(m['deletion_delay_max_h'])}, {m['requests_per_run_mean']:.1f} revisits per run against "
          f"refresh's {refresh[s]['requests_per_run_mean']:.0f} "
          f"({100 * m['requests_per_run_mean'] / max(refresh[s]['requests_per_run_mean'], 1e-9):.2f} %)"
          for s, m in by.items()),
        *(f"cheaper but rejected: {name}: {'; '.join(why)}" for name, why in cheaper),
    ]
    today = label({"kind": "revisit", "young": TODAY.young, "young_interval": TODAY.young_interval,
                   "age_share": TODAY.age_share, "period": TODAY.period, "changed_factor": TODAY.changed_factor,
                   "budget_share": 0})
    if today != best["name"] and today in results[scenarios[-1]]:
        s = scenarios[-1]
        new, old = results[s][best["name"]], results[s][today]
        reasoning.append(
            f"Against today's defaults ({today}), {s}: "
            f"{100 * (new['requests_per_run_mean'] / old['requests_per_run_mean'] - 1):+.0f} % revisits per run "
            f"({new['requests_per_run_mean']:.1f} against {old['requests_per_run_mean']:.1f}), "
            f"{_f(new['edits_caught_pct'])} % of edits caught (against {_f(old['edits_caught_pct'])} %); what the "
            f"conditions do not weigh: edits after the first week are seen after a median "
            f"{_delay(new['later_delay_median_h'])} (against {_delay(old['later_delay_median_h'])}), p95 of all "
            f"edits {_delay(new['delay_p95_h'])} (against {_delay(old['delay_p95_h'])}), deletions found by a "
            f"revisit after a median {_delay(new['deletion_delay_median_h'])} (against "
            f"{_delay(old['deletion_delay_median_h'])}).")
    return {"name": best["name"], "set": {k: v for k, v in best.items() if k not in ("kind", "name")},
            "policy": {"young_interval": best["young_interval"], "age_share": best["age_share"],
                       "period": best["period"], "changed_factor": best["changed_factor"],
                       "budget_share": best["budget_share"]},
            "reasoning": reasoning, "acceptable": len(ok), "sets": len(rows)}


def run(quick: bool = False, scenarios: tuple[Scenario, ...] = SCENARIOS, jobs: int | None = None,
        full: bool = True) -> dict:
    """Every set of the grid over every scenario, and the recommendation; `jobs` processes (default: one a core).
    `full`: every figure of every set too, not only the page's (the tables, numbers a row)."""
    if np is None:
        return {"absent": "numpy is not installed (it comes with the bench extra: pip install -e '.[bench]')"}
    started = time.monotonic()
    sets = grid(quick)
    families: dict[tuple, list[dict]] = {}   # a set without a budget, then the same with each budget
    for p in sorted(sets, key=lambda p: p.get("budget_share", 0)):
        key = (p["kind"], p.get("young_interval"), p.get("age_share"), p.get("period"), p.get("changed_factor"))
        families.setdefault(key, []).append(p)
    tasks = [(s, family) for s in scenarios for family in families.values()]
    tasks.sort(key=lambda task: -len(task[1]))   # the long ones first
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            done = list(pool.map(_family, tasks))
    else:
        done = [_family(task) for task in tasks]
    results: dict[str, dict] = {s.name: {} for s in scenarios}
    for (s, _), rows in zip(tasks, done, strict=True):
        results[s.name].update(rows)
    results = {name: {p["name"]: by[p["name"]] for p in sets} for name, by in results.items()}
    sites = {s.name: _site(s) for s in scenarios}
    rec = recommend(sets, results)
    beyond = []
    if rec.get("set"):   # the recommended set with a shorter `young`: not a condition of the grid, a suggestion
        beyond = [{**rec["set"], "kind": "revisit", "young": y} for y in BEYOND_YOUNG]
        for p in beyond:
            p["name"] = label(p)
        for s in scenarios:
            rows = _family((s, beyond))
            results[s.name].update(rows)
        rec["reasoning"] += [
            f"Beyond the grid, the same with young {_hours(p['young'])}: " + "; ".join(
                f"{s.name} {_f(results[s.name][p['name']]['edits_caught_pct'])} % of edits caught, first-week median "
                f"{_delay(results[s.name][p['name']]['first_week_delay_median_h'])}, "
                f"{results[s.name][p['name']]['requests_per_run_mean']:.1f} revisits per run" for s in scenarios)
            for p in beyond]
    result = {
        "model": {"runs_per_day": RUNS_PER_DAY, "days": scenarios[0].days, "back_catalogue_days": scenarios[0].days,
                  "tail_days": TAIL / DAY, "second_edit": SECOND_EDIT, "early_share": EARLY_SHARE,
                  "early_mean_h": EARLY_MEAN / HOUR, "late_span_days": LATE_SPAN / DAY,
                  "young_days": RevisitPolicy().young / DAY},
        "scenarios": [asdict(s) for s in scenarios],
        "articles": {name: len(site) for name, site in sites.items()},
        "sets": sets, "beyond_grid": beyond, "results": results, "recommended": rec, "quick": quick,
        "today": label({"kind": "revisit", "young": TODAY.young, "young_interval": TODAY.young_interval,
                        "age_share": TODAY.age_share, "period": TODAY.period, "changed_factor": TODAY.changed_factor,
                        "budget_share": 0}),
        "seconds": round(time.monotonic() - started, 1),
    }
    result["page"] = page(result)
    result["lastmod"] = lastmod_run(scenarios, jobs)
    result["seconds"] = round(time.monotonic() - started, 1)
    if not full:
        for key in ("sets", "beyond_grid", "results"):
            del result[key]
    return result


# -- the report ------------------------------------------------------------------------------------------------------

def _f(x, fmt: str = ".1f", none: str = "–") -> str:
    return none if x is None else format(x, fmt)


def _count(x) -> str:
    return _f(x, ",.0f" if (x or 0) >= 1000 else ".1f")


def _delay(h) -> str:
    if h is None:
        return "–"
    return f"{h / 24:.1f} d" if h >= 48 else f"{h:.1f} h"


KEY_FIELDS = ("edits", "edits_caught_pct", "delay_median_h", "delay_p95_h", "first_week_caught_pct",
              "first_week_delay_median_h", "deletions", "deletions_caught_pct", "deletion_delay_median_h",
              "deletion_delay_max_h", "requests_per_run_mean", "requests_per_run_p95", "requests_per_run_max",
              "requests_per_caught_edit", "budget_left_out_runs_pct")
GRID_COLUMNS = ("young_interval_h", "age_share", "period_d", "<scenario>: edits caught % cf 0.5, cf 1",
                "first-week median delay h (cf 0.5)", "mean revisits per run cf 0.5, cf 1", "…", "ok cf 0.5, cf 1")


def key_sets(result: dict) -> list[str]:
    """The rows of the main table: refresh, announce-only, the recommended set, today's defaults, the recommended
    set's neighbours on each axis (budgets with cf 0.5: the grid has no other), a budget below the demand, and
    beyond the grid."""
    sets = {p["name"]: p for p in result["sets"] + result.get("beyond_grid", [])}
    rec = result["recommended"].get("set")
    names = ["refresh", "announce-only"]
    if not rec:
        return names + [n for n, p in sets.items() if p["kind"] == "revisit" and not p["budget_share"]][:6]
    base = {**rec, "kind": "revisit"}
    variants = [base, "today"]
    for axis, values in (("young_interval", YOUNG_INTERVALS), ("age_share", AGE_SHARES), ("period", PERIODS),
                         ("changed_factor", CHANGED_FACTORS)):
        variants += [{**base, axis: v} for v in values if v != base[axis]]
    variants += [{**base, "changed_factor": 0.5, "budget_share": b} for b in BUDGET_SHARES]
    variants += [STARVED, *result.get("beyond_grid", [])]
    for v in variants:
        name = result.get("today") if v == "today" else label(v)
        if name in sets and name not in names:
            names.append(name)
    return names


def page(result: dict) -> dict:
    """What the Markdown shows, numbers a row: the main table's rows (KEY_FIELDS per scenario) and the grid."""
    scen = [s["name"] for s in result["scenarios"]]
    res = result["results"]
    rows = [{"name": name, **{s: [res[s][name][f] for f in KEY_FIELDS] for s in scen}} for name in key_sets(result)]
    grid_rows = []
    for half in result["sets"]:
        if half["kind"] != "revisit" or half["budget_share"] or half["changed_factor"] != 0.5:
            continue
        one = {**half, "changed_factor": 1.0}
        one["name"] = label(one)
        pair = [half, one] if one["name"] in res[scen[0]] else [half, half]
        row = [half["young_interval"] / HOUR, half["age_share"], half["period"] / DAY]
        for s in scen:
            by = [res[s][p["name"]] for p in pair]
            row += [by[0]["edits_caught_pct"], by[1]["edits_caught_pct"], by[0]["first_week_delay_median_h"],
                    by[0]["requests_per_run_mean"], by[1]["requests_per_run_mean"]]
        row += [int(not passes(p, {s: res[s][p["name"]] for s in scen})) for p in pair]
        grid_rows.append(row)
    return {"key_fields": list(KEY_FIELDS), "key_rows": rows, "grid_columns": list(GRID_COLUMNS), "grid": grid_rows}


def markdown(result: dict) -> str:
    title = "### Revisits: when to look at a known article again, a simulated year"
    if result.get("absent"):
        return f"{title}\n\nNot measured: {result['absent']}\n"
    m = result["model"]
    scen = result["scenarios"]
    arts = result["articles"]
    rec = result["recommended"]
    pg = result["page"]
    text = [
        title, "",
        "`python -m bench.revisit_sim`: archive/pages/revisits.py's policy replayed over a model of a site that "
        "announces "
        f"no change (no `lastmod`, no validators), with a run every 30 minutes ({m['runs_per_day']} a day). The site "
        f"has {m['back_catalogue_days']:.0f} days of articles when the crawler first runs, then publishes for "
        f"{m['days']:.0f} days more; edits and deletions of that year are counted, checks go on "
        f"{m['tail_days']:.0f} days longer. An article is edited with probability E, an edited one again with "
        f"probability {m['second_edit']:g}; each edit comes, after publication, {100 * m['early_share']:.0f} % of "
        f"the time after an exponential delay of mean {m['early_mean_h']:.0f} h, otherwise at a uniform time in "
        f"its first {m['late_span_days']:.0f} days; it is deleted with probability D at a uniform time in that "
        "year. Scenarios: " + "; ".join(
            f"{s['name']}: {s['per_day']} articles a day, E {100 * s['edit_share']:g} %, D "
            f"{100 * s['delete_share']:g} % ({_sites(s, arts)})" for s in scen) + ". "
        "An edit counts as caught when a check sees its state, before the next edit or the deletion; its delay is "
        "the time to the first check after it. Revisits per run are what each run adds to its sources (per site). "
        "The revisit policy's deletions are what its revisits alone find; on a sitemap that drops deleted articles, "
        "the announce rule finds them the next run whatever the policy (the announce-only rows). Budgets are a "
        "share of the live articles at the first run; a budget below the policy's demand leaves the oldest "
        "articles behind (their urgency grows slowest), past the period. yi: young_interval, share: age_share, cf: "
        f"changed_factor; young is {m['young_days']:g} days unless shown. Today's defaults: {result.get('today')}.",
        "",
        "| policy | scenario | edits caught | delay median / p95 | first week: caught, median | deletions caught, "
        "median / slowest | revisits per run: mean / p95 / max | revisits per caught edit | runs over budget |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in pg["key_rows"]:
        name = row["name"]
        for s in scen:
            r = dict(zip(pg["key_fields"], row[s["name"]], strict=True))
            shown = (f"**{name}** (recommended)" if name == rec.get("name")
                     else f"{name} (today's defaults)" if name == result.get("today") else name)
            text.append(
                f"| {shown} | {s['name']} | {_f(r['edits_caught_pct'])} % of {r['edits']:,} | "
                f"{_delay(r['delay_median_h'])} / {_delay(r['delay_p95_h'])} | "
                f"{_f(r['first_week_caught_pct'])} %, {_delay(r['first_week_delay_median_h'])} | "
                f"{_f(r['deletions_caught_pct'], '.0f')} % of {r['deletions']:,}, "
                f"{_delay(r['deletion_delay_median_h'])} / {_delay(r['deletion_delay_max_h'])} | "
                f"{r['requests_per_run_mean']:.1f} / {r['requests_per_run_p95']:.0f} / {r['requests_per_run_max']} | "
                f"{_count(r['requests_per_caught_edit'])} | {r['budget_left_out_runs_pct']:.1f} % |")
    text.append("")
    if pg["grid"]:
        text += ["The grid without a budget, cf 0.5 / cf 1: edits caught, first-week median delay, mean revisits per "
                 "run; ✓ meets every condition.", "",
                 "| yi | share | period | " + " | ".join(s["name"] for s in scen) + " | ok |",
                 "|---|---:|---:|" + "---:|" * len(scen) + "---|"]
        for row in pg["grid"]:
            cells = []
            for i in range(len(scen)):
                c = row[3 + 5 * i: 8 + 5 * i]
                cells.append(f"{_f(c[0])} / {_f(c[1])} %, {_delay(c[2])}, {c[3]:.1f} / {c[4]:.1f}")
            ok = " / ".join("✓" if x else "✗" for x in row[-2:])
            text.append(f"| {row[0]:g}h | {row[1]:g} | {row[2]:g}d | " + " | ".join(cells) + f" | {ok} |")
        text.append("")
    text += ["Recommended defaults: " + (f"**{rec['name']}**." if rec.get("name") else "none.")] + \
        [f"- {line}" for line in rec["reasoning"]] + [""]
    text += lastmod_markdown(result.get("lastmod"))
    return "\n".join(text)


def _sites(s: dict, arts: dict) -> str:
    n = arts[s["name"]]
    if s.get("sites", 1) == 1:
        return f"{n:,} articles"
    return f"{s['sites']} such sites pooled, {n:,} articles in all, each site with its own budget"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.revisit_sim", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid (young_interval and changed_factor, "
                                                             "one share and period, one budget)")
    parser.add_argument("--json", action="store_true", help="every figure of every set, as JSON")
    parser.add_argument("--jobs", type=int, help="processes (default: one a core)")
    args = parser.parse_args(argv)
    result = run(args.quick, jobs=args.jobs)
    if result.get("absent"):
        print(f"bench.revisit_sim: {result['absent']}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else markdown(result))
    print(f"bench.revisit_sim: {len(result['sets'])} policies × {len(SCENARIOS)} scenarios in "
          f"{result['seconds']:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
