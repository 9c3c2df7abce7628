"""The debrief page (coach report --html), opened in a real headless Chromium: what renders."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

from coach.history import History
from coach.practice import PracticeRun, Recorder, review
from coach.reports import print_report
from coach.scenario import load_scenario
from coach.steps import Step

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver")


def _need_browser() -> None:
    """Skip without Chromium, chromedriver or selenium, except under CI, which must run this."""
    missing = []
    if CHROMIUM is None:
        missing.append("chromium")
    if DRIVER is None:
        missing.append("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        msg = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver fonts-noto-cjk)"
        if os.environ.get("CI"):
            pytest.fail(f"{msg}; CI must run the browser test", pytrace=False)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}", "--window-size=1100,1600"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def debrief(tmp_path_factory):
    """Two practices of one scenario and level; the second, with misses, written as HTML."""
    tmp = tmp_path_factory.mktemp("debrief")
    db = tmp / "h.db"
    hist = History(db)
    sc = load_scenario("training-course")
    for lines in (sc.trainees["strong"], ["您需要培训吗？", *sc.trainees["strong"][1:6], "您今天必须决定。"]):
        run = PracticeRun(sc, "medium", 3)
        rec = Recorder(hist, run)
        shown = []
        for line in lines:
            t = run.turn(line)
            rec.turn()
            shown.append(t)
        card = rec.finish("finished")
    out = tmp / "debrief.html"
    assert print_report(str(db), rec.id, str(out)) == 0
    return out, sc, shown, card


def test_the_page_is_self_contained(debrief):
    """No scripts and nothing fetched: the file is the whole page."""
    html = debrief[0].read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<link" not in html


def test_the_browser_renders_each_line_with_step_mark_and_better_line(browser, debrief):
    """In Chromium, every trainee line shows its step, ✔/✘ as on screen, and the better line on a miss."""
    from selenium.webdriver.common.by import By

    path, sc, shown, _ = debrief
    browser.get(path.as_uri())
    assert browser.title == sc.title
    rows = browser.find_elements(By.CSS_SELECTOR, "table.transcript tbody tr[id^='line-']")
    assert len(rows) == len(shown)
    misses = 0
    for row, t in zip(rows, shown):
        r = review(t.feedback)
        text = row.text
        assert row.is_displayed() and t.line in text and t.reply.text in text
        assert t.feedback.step.label in row.find_element(By.CSS_SELECTOR, "td.step").text
        assert row.find_element(By.CSS_SELECTOR, "td.mark").text == ("✔" if r.ok else "✘")
        if r.better:
            misses += 1
            assert f"更好的说法：{r.better}" in text
    assert misses, "the second practice has lines that missed"


def test_the_step_chart_and_the_trend_are_drawn(browser, debrief):
    """The eight-step chart shows each step's name and which were reached; the trend has lines."""
    from selenium.webdriver.common.by import By

    path, _, _, card = debrief
    browser.get(path.as_uri())
    chart = browser.find_element(By.CSS_SELECTOR, "#steps svg")
    assert chart.size["width"] > 500 and chart.size["height"] > 50
    for step in Step:
        assert step.label in chart.text
    assert len(chart.find_elements(By.CSS_SELECTOR, "g.reached")) == card.reached
    trend = browser.find_element(By.CSS_SELECTOR, "#trend svg")
    assert trend.size["width"] > 500
    lines = trend.find_elements(By.CSS_SELECTOR, "g.skill polyline")
    assert len(lines) == 5 and all(x.size["width"] > 100 for x in lines)
    assert "#1" in trend.text and "#2" in trend.text


def test_chinese_is_drawn_with_a_cjk_font(browser, debrief):
    """The title renders as real glyphs, not the boxes a missing CJK font leaves."""
    from selenium.webdriver.common.by import By

    path, sc, _, _ = debrief
    browser.get(path.as_uri())
    browser.execute_script("""
        const h = document.querySelector('h1');
        const box = h.cloneNode(); box.id = 'boxes';
        box.textContent = '\\uE000'.repeat([...h.textContent].length);
        h.after(box);""")
    title = browser.find_element(By.CSS_SELECTOR, "h1:not(#boxes)")
    boxes = browser.find_element(By.ID, "boxes")
    assert title.text == sc.title
    assert title.screenshot_as_png != boxes.screenshot_as_png


def test_the_page_reads_in_print(browser, debrief):
    """With print media the transcript and the better lines still show, and it prints to PDF."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.print_page_options import PrintOptions

    path, _, shown, _ = debrief
    browser.get(path.as_uri())
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        body = browser.find_element(By.TAG_NAME, "body").text
        assert all(t.line in body for t in shown) and "更好的说法" in body
        pdf = base64.b64decode(browser.print_page(PrintOptions()))
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_the_report_of_a_missing_scenario_still_writes(tmp_path):
    """A record whose scenario file is gone is titled by its id and still written."""
    hist = History(tmp_path / "h.db")
    run = PracticeRun(load_scenario("training-course"), "easy", 0)
    rec = Recorder(hist, run)
    run.turn("您的团队是怎么分工的？")
    rec.turn()
    rec.finish("finished")
    hist.conn.execute("UPDATE sessions SET scenario = 'gone-away'")
    out = tmp_path / "x.html"
    assert print_report(str(tmp_path / "h.db"), rec.id, str(out)) == 0
    assert "<title>gone-away</title>" in Path(out).read_text(encoding="utf-8")
