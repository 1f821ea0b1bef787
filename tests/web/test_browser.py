"""The web UI in a real browser (Debian's headless Chromium, driven through its chromedriver): what a person sees
on each page, a screenshot of each, and replay isolation proven against a spy server.

`make test` installs Chromium, its driver and an Arabic font when run as root (tools/system-needs.txt); elsewhere
these tests skip, naming the package to install, when one is absent.
"""

from __future__ import annotations

import http.server
import threading
import time
import unicodedata
from urllib.parse import quote

import pytest

from tests.conftest import REPORT
from tests.system import need
from tests.web.test_serve import HOSTILE_PAGE, Served, hostile_archive  # noqa: F401 - the `hostile` fixture

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    chromium = need("chromium", "chromium-driver", "fonts-noto-core")
    driver = need("chromium-driver")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1100", "--lang=ar",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    drv = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    REPORT.append(f"browser screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def ui(two_editions):
    site, data, _ = two_editions
    server = Served(data)
    yield server
    server.stop()


def look(browser, url: str, shots, name: str):
    browser.get(url)
    browser.save_screenshot(str(shots / f"{name}.png"))
    assert (shots / f"{name}.png").stat().st_size > 5000
    return browser


def css(browser, selector: str):
    from selenium.webdriver.common.by import By
    return browser.find_elements(By.CSS_SELECTOR, selector)


def frame_title(browser, expect: str, timeout: float = 20) -> str:
    """The title of the document in the current frame, once it holds `expect` (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    title = ""
    while time.monotonic() < deadline:
        title = browser.execute_script("return document.title") or ""
        if expect in title:
            break
        time.sleep(0.2)
    return title


def is_rtl(browser) -> bool:
    return browser.execute_script("return document.documentElement.dir === 'rtl' && "
                                  "getComputedStyle(document.body).direction === 'rtl'")


def test_search_page_marks_the_matches(browser, ui, shots):
    look(browser, ui.base + "/?q=" + quote("الاسد"), shots, "search")
    assert is_rtl(browser)
    marks = ["".join(ch for ch in m.text if unicodedata.category(ch) != "Mn") for m in css(browser, ".snippet mark")]
    assert marks and all("سد" in m for m in marks)  # الأسد، الأَسَد، والأسد، «الأسد»، …
    assert css(browser, ".hit .title") and "من" in css(browser, ".count")[0].text
    # the search box keeps the query; the results are links to article pages
    assert css(browser, "input[name=q]")[0].get_attribute("value") == "الاسد"
    assert css(browser, ".hit a.title")[0].get_attribute("href").startswith(ui.base + "/article?url=")


def test_browse_by_month_and_by_section(browser, ui, two_editions, shots):
    site, _, _ = two_editions
    month = sorted(a["published"][:7] for a in site.manifest["articles"])[-1]
    look(browser, ui.base + "/browse", shots, "months")
    assert is_rtl(browser) and css(browser, ".histogram meter")
    look(browser, ui.base + f"/browse/{month}", shots, "month")
    days = css(browser, ".calendar td.has a")
    assert days
    expected = sum(1 for a in site.manifest["articles"] if a["published"][:7] == month)
    assert sum(int(d.find_element("css selector", ".n").text) for d in days) == expected
    days[0].click()
    browser.save_screenshot(str(shots / "day.png"))
    assert css(browser, ".calendar td.chosen") and css(browser, ".list li")
    look(browser, ui.base + "/sections", shots, "sections")
    css(browser, ".sections a")[0].click()
    browser.save_screenshot(str(shots / "section.png"))
    assert is_rtl(browser) and css(browser, ".list li")


def test_article_page_shows_versions_and_captures(browser, ui, two_editions, shots):
    site, _, _ = two_editions
    retitled = next(a for a in site.manifest["articles"] if a.get("edited", {}).get("kind") == "title-changed")
    look(browser, ui.base + "/article?url=" + quote(retitled["url"]), shots, "article")
    assert is_rtl(browser)
    assert css(browser, "article h1")[0].text == retitled["title"]
    assert len(css(browser, ".versions tbody tr")) == 2
    assert len(css(browser, ".captures tbody tr")) >= 2
    assert retitled["edited"]["sentence"] in css(browser, "article .body")[0].text


def test_replay_shows_the_archived_page_in_its_frame(browser, ui, two_editions, shots):
    site, _, _ = two_editions
    article = site.manifest["articles"][5]
    look(browser, ui.base + f"/web/2030/{article['url']}", shots, "replay")
    frame = css(browser, "iframe.replay")[0]
    assert frame.get_attribute("sandbox") == "allow-scripts"
    browser.switch_to.frame(frame)
    try:
        assert frame_title(browser, "الإيطالية نيوز") == f"{article['title']} - الإيطالية نيوز"
    finally:
        browser.switch_to.default_content()


def test_diff_and_changes_pages(browser, ui, two_editions, shots):
    site, _, _ = two_editions
    retitled = next(a for a in site.manifest["articles"] if a.get("edited", {}).get("kind") == "title-changed")
    look(browser, ui.base + "/diff?url=" + quote(retitled["url"]), shots, "diff")
    assert is_rtl(browser)
    added = " ".join(e.text for e in css(browser, ".diff ins"))
    assert retitled["edited"]["sentence"] in added and css(browser, ".diff del")
    assert css(browser, ".diff ins")[0].value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    look(browser, ui.base + "/changes?since=2000", shots, "changes")
    titles = [e.text for e in css(browser, ".changes .title")]
    assert len(titles) == len(site.manifest["changes"]["edited"]) + len(site.manifest["changes"]["removed"])


# -- isolation ---------------------------------------------------------------------------------------------------
def test_without_protection_the_hostile_page_reaches_the_spy(browser, hostile, tmp_path):
    """The control: served plainly, the same page does reach the spy — so the test below can fail."""
    server, spy, _ = hostile
    body = HOSTILE_PAGE.format(spy=spy.port).encode()

    class Plain(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    try:
        before = len(spy.hits)
        browser.get(f"http://127.0.0.1:{plain.server_address[1]}/")
        time.sleep(2)
        assert len(spy.hits) > before
        assert browser.execute_script("return document.title") == "pwned"
    finally:
        plain.shutdown()
        spy.hits.clear()


def test_a_replayed_page_reaches_neither_the_ui_nor_the_network(browser, hostile, shots):
    server, spy, url = hostile
    look(browser, server.base + f"/web/20210914100000/{url}", shots, "hostile-replay")
    frame = css(browser, "iframe.replay")[0]
    browser.switch_to.frame(frame)
    try:
        assert frame_title(browser, "الهروب") == "صفحة تحاول الهروب"  # it did load, scripts and all
    finally:
        browser.switch_to.default_content()
    time.sleep(2)
    browser.save_screenshot(str(shots / "hostile-after.png"))
    assert browser.title != "pwned" and "pwned" not in css(browser, "body")[0].text
    assert spy.hits == []
    # the archived bytes opened directly: CSP sandbox, so no script runs at the UI's origin
    look(browser, server.base + f"/web/20210914100000id_/{url}", shots, "hostile-raw")
    time.sleep(2)
    assert "صفحة تحاول الهروب" in css(browser, "h1")[0].text
    assert browser.title != "pwned"
    assert spy.hits == []
