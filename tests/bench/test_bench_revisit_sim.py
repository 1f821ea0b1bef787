"""bench/revisit_sim.py on tiny hand-made sites: its schedule is RevisitPolicy.due's, an edit is caught by the first
check after it, `--refresh` catches everything within a run, announce-only no edit, a budget takes the most urgent,
and the report and recommendation come out of a small run. No network; a few seconds."""

from __future__ import annotations

import json

import pytest

np = pytest.importorskip("numpy")

from archive.pages.revisits import DAY, HOUR, RevisitPolicy, choose  # noqa: E402
from bench import revisit_sim as rs  # noqa: E402

TICK = rs.TICK


@pytest.fixture(autouse=True)
def short_tail(monkeypatch):
    """Checks go on 5 days after a small site's measured days, not 60: fewer runs to replay."""
    monkeypatch.setattr(rs, "TAIL", 5 * DAY)


def brute_checks(policy: RevisitPolicy, site: rs.Site, i: int, changes_at=()) -> list[int]:
    """The runs at which article `i` is checked, asking RevisitPolicy.due at every run (no budget)."""
    key = f"https://site.example/tiny/{i}"
    last, changes, out = int(site.first[i]), 0, []
    for t in range(last + 1, site.end + 1):
        if policy.due(t * TICK - site.pub[i], (t - last) * TICK, changes, key):
            out.append(t)
            if site.deleted[i] <= t * TICK:
                break
            changes += any(last * TICK < e <= t * TICK for e in site.edits[i])
            last = t
    return out


def test_the_schedule_is_the_policys_due():
    rng = np.random.default_rng(7)
    for _ in range(200):
        policy = RevisitPolicy(period=float(rng.choice([14, 30, 60])) * DAY,
                               young_interval=float(rng.choice([2, 6, 12])) * HOUR,
                               age_share=float(rng.choice([0.1, 0.25, 0.5])),
                               changed_factor=float(rng.choice([0.5, 1.0])))
        pub = float(rng.uniform(-400 * DAY, 20 * DAY))
        site = rs.tiny_site([pub], days=500)
        last = int(site.first[0]) + int(rng.integers(0, 3000))
        changes = int(rng.integers(0, 5))
        t = int(rs.next_due(policy, site, np.array([0]), np.array([last]), np.array([changes]))[0])

        def due(run, pub=pub, last=last, changes=changes, policy=policy):
            return policy.due(run * TICK - pub, (run - last) * TICK, changes, "https://site.example/tiny/0")

        assert due(t) and not any(due(run) for run in range(last + 1, t))


def test_an_edit_is_caught_by_the_first_check_after_it():
    edit = 3 * DAY + 1234.0
    site = rs.tiny_site([HOUR], edits=[[edit]], days=30)
    policy = RevisitPolicy()
    r = rs.replay_policy(policy, site)
    checks = brute_checks(policy, site, 0)
    first_after = min(t for t in checks if t * TICK > edit)
    assert r.seen[0, 0] == first_after
    m = rs.metrics(r)
    assert m["edits"] == 1 and m["edits_caught"] == 1
    assert m["delay_median_h"] == pytest.approx((first_after * TICK - edit) / HOUR, abs=0.01)
    assert m["first_week_delay_median_h"] <= policy.young_interval / HOUR
    assert r.requests.sum() == len(checks)          # one revisit per check, none other
    assert r.changes[0] == 1


def test_two_edits_between_two_checks_are_one_change_and_the_first_is_lost():
    site = rs.tiny_site([0.0], edits=[[2 * DAY + 60, 2 * DAY + 120]], days=10)
    r = rs.replay_policy(RevisitPolicy(young_interval=6 * HOUR), site)
    assert r.seen[0, 0] == r.seen[0, 1]
    m = rs.metrics(r)
    assert (m["edits"], m["edits_caught"]) == (2, 1)
    assert r.changes[0] == 1


def test_refresh_catches_everything_within_a_run_and_announce_only_no_edit():
    pub = [-50 * DAY, HOUR, 5 * DAY, 9 * DAY]
    edits = [[3 * DAY, 20 * DAY], [2 * HOUR], [5 * DAY + 7 * HOUR, 12 * DAY], []]
    site = rs.tiny_site(pub, edits=edits, deleted=[None, 15 * DAY + 77, None, 10 * DAY], days=25)
    refresh = rs.metrics(rs.replay_refresh(site))
    assert refresh["edits"] == 5 and refresh["edits_caught_pct"] == 100
    assert refresh["delay_p95_h"] <= 0.5 and refresh["deletion_delay_max_h"] <= 0.5
    assert refresh["deletions"] == 2 and refresh["deletions_caught_pct"] == 100
    assert refresh["requests_per_run_max"] == 4     # every live article, every run
    live = rs.replay_refresh(site).requests[0]
    assert live[1] == 1 and live[int(6 * DAY // TICK)] == 3 and live[int(11 * DAY // TICK)] == 3
    announce = rs.metrics(rs.replay_announce(site))
    assert announce["edits_caught"] == 0 and announce["edits_caught_pct"] == 0
    assert announce["deletions_caught_pct"] == 100 and announce["deletion_delay_max_h"] <= 0.5
    assert announce["requests_per_run_max"] == 1    # the deleted article, re-checked once


def test_a_revisit_finds_a_deletion_and_stops():
    site = rs.tiny_site([0.0], deleted=[20 * DAY + 5], days=60, tail=0)
    policy = RevisitPolicy()
    r = rs.replay_policy(policy, site)
    checks = brute_checks(policy, site, 0)
    assert r.found_deleted[0] == checks[-1] and checks[-1] * TICK > 20 * DAY + 5
    assert r.requests.sum() == len(checks)
    assert rs.metrics(r)["deletion_delay_max_h"] <= policy.period / HOUR


def _small() -> rs.Site:
    return rs.make_site(rs.Scenario("t", 20, 0.3, 0.05, seed=3, sites=2, days=20))


def test_a_budget_that_is_never_reached_changes_nothing_and_a_tight_one_caps_every_run():
    site = _small()
    policy = RevisitPolicy(young_interval=2 * HOUR)
    free = rs.replay_policy(policy, site)
    capped = rs.replay_budget(RevisitPolicy(young_interval=2 * HOUR, budget=10 ** 6), site)
    assert (free.seen == capped.seen).all() and (free.requests == capped.requests).all()
    assert capped.left_out_runs == 0
    tight = rs.replay_policy(RevisitPolicy(young_interval=2 * HOUR, budget=3), site)
    assert tight.requests.max() == 3 and tight.left_out_runs > 0
    assert rs.metrics(tight)["budget_left_out_runs_pct"] > 0


def test_a_budget_is_spent_as_choose_spends_it():
    # A run by run replay with the module's own due, urgency and choose, against the simulator's.
    rng = np.random.default_rng(11)
    n = 30
    pub = np.sort(rng.uniform(-60 * DAY, 10 * DAY, n))
    edits = [[p + x for x in rng.exponential(12 * HOUR, int(rng.integers(0, 3)))] for p in pub]
    deleted = [p + 5 * DAY if i % 7 == 0 else None for i, p in enumerate(pub)]
    site = rs.tiny_site(pub, edits=edits, deleted=deleted, days=12, tail=3)
    policy = RevisitPolicy(young_interval=2 * HOUR, period=14 * DAY, budget=2)
    url = [f"https://site.example/tiny/{i}" for i in range(n)]
    last, changes, gone = list(site.first), [0] * n, [False] * n
    seen, requests, left_out = {}, np.zeros(site.end + 1, dtype=int), 0
    for t in range(1, site.end + 1):
        candidates = [(url[i], policy.urgency(t * TICK - pub[i], (t - last[i]) * TICK, changes[i], url[i]))
                      for i in range(n) if not gone[i] and site.first[i] < t]
        chosen, left = choose([c for c in candidates if c[1] >= 1.0], policy.budget)
        left_out += bool(left) and t < site.window
        for u in chosen:
            i = url.index(u)
            requests[t] += 1
            hits = [j for j, e in enumerate(site.edits[i]) if last[i] * TICK < e <= t * TICK]
            for j in hits:
                seen[i, j] = t
            gone[i] = site.deleted[i] <= t * TICK
            changes[i] += bool(hits) and not gone[i]
            last[i] = t
    r = rs.replay_budget(policy, site)
    assert (r.requests[0] == requests).all() and r.left_out_runs == left_out > 0
    assert {(i, j): int(t) for (i, j), t in np.ndenumerate(r.seen) if t != rs.NONE} == seen
    assert [bool(x != rs.NONE) for x in r.found_deleted] == gone


def test_the_site_is_deterministic_and_follows_the_model():
    a, b = _small(), _small()
    assert (a.pub == b.pub).all() and np.array_equal(a.edits, b.edits) and np.array_equal(a.deleted, b.deleted)
    assert a.groups == 2 and set(a.group) == {0, 1}
    finite = np.isfinite(a.edits)
    assert (a.edits[finite] > np.repeat(a.pub[:, None], 2, axis=1)[finite]).all()
    assert (a.edits[finite] < np.repeat(a.deleted[:, None], 2, axis=1)[finite]).all()
    assert (a.deleted > a.first * TICK).all()       # an article deleted before its first fetch is not archived


def test_a_small_run_reports_and_recommends():
    scenarios = (rs.Scenario("low", 5, 0.3, 0.05, seed=1, sites=2, days=20),
                 rs.Scenario("high", 40, 0.3, 0.05, seed=2, days=20))
    result = rs.run(quick=True, scenarios=scenarios, jobs=1)
    low = result["results"]["low"]
    assert low["refresh"]["edits_caught_pct"] > 95 and low["announce-only"]["edits_caught"] == 0
    text = rs.markdown(result)
    assert "| refresh | low |" in text and "Recommended defaults" in text
    saved = {k: v for k, v in result.items() if k not in ("sets", "beyond_grid", "results")}   # what bench.run keeps
    assert rs.markdown(json.loads(json.dumps(saved))) == text
    rec = result["recommended"]
    if rec["name"]:
        assert rec["name"] in text and not rs.passes(rec["set"], {s: result["results"][s][rec["name"]]
                                                                  for s in ("low", "high")})


def test_the_lastmod_audit_on_a_lying_and_an_honest_tiny_site():
    """Lying: the audit (one a run, round the articles) finds the first edit within a few runs and loses the trust;
    the later edit is seen by the revisit schedule within the period. Honest: each edit seen by the next run, and
    the audit costs its requests and nothing else. Without the audit, the lying site's edits are never seen."""
    site = rs.tiny_site([-100 * DAY, -90 * DAY, -80 * DAY], edits=[(), (2 * DAY,), (10 * DAY,)], days=40, tail=5)
    policy = RevisitPolicy()
    r, lost = rs.replay_lying(policy, site, 1)
    assert 2 * DAY <= lost[0] * TICK <= 2 * DAY + 3 * TICK
    assert r.seen[1, 0] == lost[0]
    assert r.seen[2, 0] != rs.NONE and (r.seen[2, 0] * TICK - 10 * DAY) <= policy.period
    assert rs.metrics(rs.replay_announce(site))["edits_caught_pct"] == 0
    honest = rs.replay_honest(site, 1)
    assert [int(honest.seen[i, 0]) for i in (1, 2)] == [int(2 * DAY // TICK) + 1, int(10 * DAY // TICK) + 1]
    assert honest.requests[0, 1] == 1 and honest.requests[0, int(2 * DAY // TICK) + 1] == 2  # the audit, + an edit
    assert rs.metrics(honest)["edits_caught_pct"] == 100
