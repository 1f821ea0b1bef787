"""The rule of trust in a site's lastmod (archive/pages/revisits.py: judge, audit_sample; issue 28): one edit behind an
unchanged lastmod loses it, said once; it comes back only after a whole revisit period without a lapse and enough
clean looks; the audit takes the articles looked at longest ago."""

from __future__ import annotations

from archive.pages.revisits import DAY, REGAIN_LOOKS, LastmodTrust, audit_sample, judge

PERIOD = 30 * DAY


def test_an_edit_behind_an_unchanged_lastmod_loses_the_trust_once():
    trust, event = judge(LastmodTrust(), ["https://s.example/a/"], 3, 100.0, None, PERIOD, "T1")
    assert event == "lost" and not trust.trusted
    assert (trust.since, trust.article, trust.lapses, trust.clean, trust.last_lapse) == \
        ("T1", "https://s.example/a/", 1, 0, "T1")
    again, event = judge(trust, ["https://s.example/b/", "https://s.example/c/"], 0, 200.0, 100.0, PERIOD, "T2")
    assert event is None and not again.trusted  # said once: a later lapse is counted, not said
    assert (again.since, again.article, again.lapses, again.last_lapse) == ("T1", "https://s.example/a/", 3, "T2")


def test_clean_looks_keep_a_trusted_site_trusted_and_are_counted():
    trust, event = judge(LastmodTrust(), [], 20, 0.0, None, PERIOD, "T")
    assert trust.trusted and event is None and trust.clean == 20


def test_trust_comes_back_after_a_period_without_a_lapse_and_enough_clean_looks():
    lost, _ = judge(LastmodTrust(), ["u"], 0, 0.0, None, PERIOD, "T0")
    # enough clean looks, but within the period of the lapse: still untrusted
    early, event = judge(lost, [], REGAIN_LOOKS, PERIOD - 1, 0.0, PERIOD, "T1")
    assert not early.trusted and event is None
    # a whole period since the lapse, but too few looks behind an unchanged lastmod (a long pause): still untrusted
    paused, event = judge(lost, [], REGAIN_LOOKS - 1, 2 * PERIOD, 0.0, PERIOD, "T2")
    assert not paused.trusted and event is None
    back, event = judge(early, [], 0, PERIOD, 0.0, PERIOD, "T3")
    assert back.trusted and event == "regained" and back.since == "T3" and back.lapses == 1


def test_a_lapse_resets_the_clean_looks():
    lost, _ = judge(LastmodTrust(), ["u"], 0, 0.0, None, PERIOD, "T0")
    looked, _ = judge(lost, [], REGAIN_LOOKS - 1, DAY, 0.0, PERIOD, "T1")
    again, _ = judge(looked, ["v"], 5, 2 * DAY, 0.0, PERIOD, "T2")
    assert again.clean == 0
    still, event = judge(again, [], REGAIN_LOOKS, PERIOD + DAY, 2 * DAY, PERIOD, "T3")
    assert not still.trusted and event is None  # the period counts from the last lapse


def test_the_audit_takes_the_longest_unchecked_first_ties_by_url():
    candidates = [("https://s/c/", 30.0), ("https://s/b/", 10.0), ("https://s/a/", 10.0), ("https://s/d/", 5.0),
                  ("https://s/e/", float("-inf"))]
    assert audit_sample(candidates, 3) == ["https://s/e/", "https://s/d/", "https://s/a/"]
    assert audit_sample(candidates, 0) == []
    assert len(audit_sample(candidates, 50)) == 5
