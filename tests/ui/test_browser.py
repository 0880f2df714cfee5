"""The real app in a real browser: `streamlit run ui/app.py` driven by headless Debian Chromium (selenium).

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium chromium-driver``;
``.ci/run`` installs them). Without them this test fails on purpose rather than skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import APP, QUESTION, ROOT

CHROMIUM = Path(os.environ.get("AULAC_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("AULAC_CHROMEDRIVER", "/usr/bin/chromedriver"))
INSTALL = "install it with: sudo apt-get install -y chromium chromium-driver (.ci/run does this in CI)"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--window-size=1400,1100",
    "--lang=vi-VN",
)
DOCS_SCREENSHOT = ROOT / "docs" / "screenshot-chat.png"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def streamlit_url(demo_home: Path, tmp_path: Path) -> Iterator[str]:
    """``streamlit run ui/app.py`` on 127.0.0.1 and a free port, on this test's AULAC_HOME."""
    port = _free_port()
    env = dict(
        os.environ,
        AULAC_HOME=str(demo_home),
        AULAC_SANDBOX="healthcare",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        HF_HUB_OFFLINE="1",
    )
    env.pop("AULAC_API_URL", None)
    log = (tmp_path / "streamlit.log").open("w")
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def browser(tmp_path: Path):  # noqa: ANN201 - a selenium WebDriver
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: {INSTALL}")
    if not CHROMEDRIVER.exists():
        pytest.fail(f"ChromeDriver is missing at {CHROMEDRIVER}: {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def test_browser_asks_and_gets_a_cited_answer(browser, streamlit_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(streamlit_url)
    # the answer streams sentence by sentence, so elements are redrawn while we look: retry stale reads
    wait = WebDriverWait(browser, 120, poll_frequency=0.25, ignored_exceptions=(StaleElementReferenceException,))
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")))
    box.click()
    box.send_keys(QUESTION)
    box.send_keys(Keys.ENTER)

    def cited_answer(driver) -> list:  # noqa: ANN001
        """The citation expanders, once the final answer is drawn (badge, [1], sources) and the run is over."""
        if driver.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']"):
            return []  # the script is still running
        messages = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")
        if len(messages) < 2 or "[1]" not in messages[-1].text or "Trích xuất" not in messages[-1].text:
            return []
        return [
            e for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stExpander'] summary") if "[1]" in e.text
        ]

    wait.until(cited_answer)
    messages = browser.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")
    assert QUESTION in messages[0].text
    assert "80%" in messages[-1].text and "Trích xuất" in messages[-1].text

    # open the first citation: its source passage is shown
    wait.until(lambda d: cited_answer(d) and (cited_answer(d)[0].click() or True))
    wait.until(lambda d: "Tài liệu:" in d.find_element(By.CSS_SELECTOR, "[data-testid='stExpander']").text)
    time.sleep(0.5)  # let the expander animation finish before the screenshot
    shot = tmp_path / "screenshot-chat.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("AULAC_UPDATE_SCREENSHOT"):  # refresh the README's picture on request only
        shutil.copyfile(shot, DOCS_SCREENSHOT)
