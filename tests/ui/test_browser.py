"""The real app in a real browser: `streamlit run ui/app.py` driven by headless Debian Chromium (selenium).

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium chromium-driver``;
``.ci/run`` installs them). Without them this test fails on purpose rather than skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import QUESTION, ROOT

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
ALERT_INFO = "[data-testid='stAlertContentInfo']"
ALERT_WARNING = "[data-testid='stAlertContentWarning']"
ALERT_ERROR = "[data-testid='stAlertContentError']"


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
    from aulac_rag.cli.app import streamlit_command, upload_limit_mb

    # the flags `aulac app` runs the app with (no developer menu, the sandboxes' upload limit)
    command = streamlit_command("127.0.0.1", port, upload_limit_mb(str(demo_home)))
    command += ["--server.fileWatcherType", "none"]
    assert command[command.index("--server.maxUploadSize") + 1] == "50"
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


def _messages(driver):  # noqa: ANN001, ANN202
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")


def _running(driver) -> bool:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    return bool(driver.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']"))


def _send(browser, wait, question: str) -> int:  # noqa: ANN001
    """Type ``question`` in the chat box and press Enter; the number of chat messages before it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec

    wait.until(lambda d: not _running(d))
    before = len(_messages(browser))
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")))
    box.click()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    return before


def test_browser_asks_and_gets_a_cited_answer(browser, streamlit_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(streamlit_url)
    # the answer streams word by word, so elements are redrawn while we look: retry stale reads
    wait = WebDriverWait(browser, 120, poll_frequency=0.25, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")))

    # the empty chat suggests the sandbox's own questions; no developer menu, no English labels, no server path
    wait.until(lambda d: "Ví dụ, bấm để hỏi" in d.find_element(By.TAG_NAME, "body").text)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Đi khám bảo hiểm y tế đúng tuyến" in page
    assert "Deploy" not in page and "Sandbox" not in page and "Lĩnh vực / Bộ tài liệu" in page
    assert "Kết nối:" not in page and str(Path.home()) not in page

    # 1. a question: the text streams in (it grows over several frames), then badge and sources settle
    before = _send(browser, wait, QUESTION)
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            messages = _messages(browser)
            if len(messages) >= before + 2:
                text = messages[-1].text
                if text and (not seen or seen[-1] != text):
                    seen.append(text)
                if "80%" in text and not _running(browser) and "Nguồn trích dẫn" in text:
                    break
        except StaleElementReferenceException:
            pass
        time.sleep(0.05)
    partial = [t for t in seen if "80%" not in t or "Nguồn trích dẫn" not in t]
    assert len({len(t) for t in partial}) >= 3, seen  # several growing frames, not one block
    assert any("Đang soạn câu trả lời" in t for t in seen), seen  # the badge row held its place while streaming
    messages = _messages(browser)
    assert QUESTION in messages[before].text
    final = messages[-1].text
    assert "80%" in final and "Trích nguyên văn từ tài liệu" in final and "Trích xuất" not in final

    # open the first citation: its source passage is shown
    def citations(driver) -> list:  # noqa: ANN001
        return [
            e for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stExpander'] summary") if "[1]" in e.text
        ]

    # a marker [1] in the text links to its document's entry: a click opens it
    marker = wait.until(lambda d: _messages(d)[-1].find_elements(By.CSS_SELECTOR, "a[href^='#nguon_']"))[0]
    assert marker.text == "[1]" and marker.get_attribute("title")
    browser.execute_script("arguments[0].click()", marker)
    wait.until(lambda d: "Tài liệu:" in d.find_element(By.CSS_SELECTOR, "[data-testid='stExpander']").text)
    summaries = _messages(browser)[-1].find_elements(By.CSS_SELECTOR, "[data-testid='stExpander'] summary")
    documents = [e.text.rsplit("] ", 1)[-1] for e in summaries]
    assert documents and len(documents) == len(set(documents)), documents  # one entry per document
    time.sleep(0.5)  # let the expander animation finish before the screenshot
    shot = tmp_path / "screenshot-chat.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("AULAC_UPDATE_SCREENSHOT"):  # refresh the README's picture on request only
        shutil.copyfile(shot, DOCS_SCREENSHOT)

    # 2. a follow-up in the same chat is answered with its own sources (the final frame: badge and sources)
    def answered(driver) -> bool:  # noqa: ANN001
        text = _messages(driver)[-1].text
        return "Trích nguyên văn từ tài liệu" in text and "Nguồn trích dẫn" in text and "Đang soạn" not in text

    before = _send(browser, wait, "Thế còn khám trái tuyến thì được hưởng bao nhiêu?")
    wait.until(lambda d: len(_messages(d)) >= before + 2 and answered(d))
    time.sleep(0.5)
    browser.execute_script("arguments[0].scrollIntoView()", _messages(browser)[-2])
    followup = tmp_path / "screenshot-followup.png"
    assert browser.save_screenshot(str(followup))

    # 3. off topic: a calm note (no red error box) with example questions to click
    def last_with(driver, selector: str, text: str):  # noqa: ANN001, ANN202
        """The last chat message once it holds ``selector`` with ``text`` and the run is over, else None."""
        messages = _messages(driver)
        if not messages or _running(driver):
            return None
        found = messages[-1].find_elements(By.CSS_SELECTOR, selector)
        return messages[-1] if any(text in e.text for e in found) else None

    before = _send(browser, wait, "Giá vé tàu từ Hà Nội vào Sài Gòn là bao nhiêu?")
    last = wait.until(lambda d: len(_messages(d)) >= before + 2 and last_with(d, ALERT_INFO, "ngoài phạm vi"))
    assert not last.find_elements(By.CSS_SELECTOR, ALERT_ERROR)
    # the sandbox's example questions (drawn just after the note: wait for them rather than race the frame)
    wait.until(lambda d: len(_messages(d)[-1].find_elements(By.CSS_SELECTOR, "button")) >= 3)

    # 4. a crisis: one warning, hotlines as tap-to-call links, no mode badge and no rating buttons
    before = _send(browser, wait, "Tôi muốn tự tử, tôi không muốn sống nữa")
    last = wait.until(lambda d: len(_messages(d)) >= before + 2 and last_with(d, ALERT_WARNING, "Cần hỗ trợ ngay"))
    time.sleep(1.0)  # the run's last redraw
    last = _messages(browser)[-1]
    links = [a.get_attribute("href") for a in last.find_elements(By.CSS_SELECTOR, "a[href^='tel:']")]
    assert "tel:115" in links and "tel:0963061414" in links, links
    assert len(last.find_elements(By.CSS_SELECTOR, ALERT_WARNING)) == 1
    assert "Trích nguyên văn" not in last.text and "111" not in last.text
    assert not last.find_elements(By.CSS_SELECTOR, "[data-testid='stFeedback'], [data-testid='stButtonGroup']")
    crisis = tmp_path / "screenshot-crisis.png"
    browser.execute_script("arguments[0].scrollIntoView()", last)
    assert browser.save_screenshot(str(crisis))
    if os.environ.get("AULAC_UPDATE_SCREENSHOT"):  # the README's pictures of a follow-up and a crisis reply
        shutil.copyfile(followup, ROOT / "docs" / "screenshot-followup.png")
        shutil.copyfile(crisis, ROOT / "docs" / "screenshot-crisis.png")
    if os.environ.get("AULAC_SCREENSHOT_DIR"):  # keep the pictures for a person to look at
        folder = Path(os.environ["AULAC_SCREENSHOT_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        for picture in (shot, followup, crisis):
            shutil.copyfile(picture, folder / picture.name)
