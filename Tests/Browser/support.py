"""What every browser test of the try-it page shares: a headless Chromium driven by Selenium
against the server `run.sh` started, and small helpers that speak the page's language."""

import base64
import json
import os
import re
import tempfile
import unittest
import urllib.error
import urllib.request

from PIL import Image, ImageDraw
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE_URL = os.environ.get("INTERIOR_BASE_URL", "").rstrip("/")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCREENSHOTS = os.environ.get("INTERIOR_SCREENSHOTS", os.path.join(ROOT, ".build", "browser-screenshots"))
CHROMIUM = os.environ.get("INTERIOR_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("INTERIOR_CHROMEDRIVER", "/usr/bin/chromedriver")

# A generation on the emulator takes a few seconds; a slow machine gets room.
GENERATION_TIMEOUT = 60


def make_driver(width=1280, height=900):
    if not BASE_URL:
        raise RuntimeError("INTERIOR_BASE_URL is not set: run the browser tests with Tests/Browser/run.sh")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            raise RuntimeError(f"{path} is missing: scripts/ensure-deps.sh test installs chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--lang=en-AU"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    return driver


def write_photo(directory, name="room.jpg", size=(800, 600), fmt="JPEG"):
    """A room-like picture: floor, wall, window and a sofa, drawn with Pillow."""
    width, height = size
    image = Image.new("RGB", size, (214, 204, 188))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, int(height * 0.65), width, height], fill=(150, 112, 80))
    draw.rectangle([int(width * 0.6), int(height * 0.15), int(width * 0.85), int(height * 0.5)], fill=(190, 220, 240))
    draw.rectangle([int(width * 0.1), int(height * 0.5), int(width * 0.5), int(height * 0.72)], fill=(70, 90, 110))
    path = os.path.join(directory, name)
    image.save(path, fmt)
    return path


def emulator_control(method, path, plan=None):
    """Calls the embedded emulator's control endpoint as its operator does: with the address and
    token it writes to data/emulator/control.json (run.sh passes the path). Nothing a user types
    reaches it."""
    control_file = os.environ.get("INTERIOR_EMULATOR_CONTROL", "")
    if not control_file:
        raise RuntimeError("INTERIOR_EMULATOR_CONTROL is not set: run the browser tests with Tests/Browser/run.sh")
    with open(control_file) as handle:
        control = json.load(handle)
    request = urllib.request.Request(
        control["base_url"] + path, method=method,
        data=None if plan is None else json.dumps(plan).encode(),
        headers={"Authorization": "Bearer " + control["token"], "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def queue_emulator_fault(plan):
    """Queues a fault plan for the emulator's next prediction (see docs/emulator.md)."""
    status = emulator_control("POST", "/_emulator/faults", plan)
    if status != 201:
        raise RuntimeError(f"the emulator refused the fault plan: HTTP {status}")


def clear_emulator_faults():
    emulator_control("DELETE", "/_emulator/faults")


def http_get(url):
    """(status, content type) of a GET, outside the browser."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status, response.headers.get("Content-Type")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type")


class PageTest(unittest.TestCase):
    """One fresh browser per test: a fresh profile is a fresh demo user."""

    width, height = 1280, 900

    def setUp(self):
        self.driver = make_driver(self.width, self.height)
        self.addCleanup(self.driver.quit)
        self.wait = WebDriverWait(self.driver, 20)
        self.files = tempfile.TemporaryDirectory()
        self.addCleanup(self.files.cleanup)

    def tearDown(self):
        os.makedirs(os.path.join(SCREENSHOTS, "tests"), exist_ok=True)
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, "tests", f"{self._testMethodName}.png"))
        problems = self.console_problems()
        self.assertEqual(problems, [], "the page logged errors (script errors or content-security-policy refusals)")

    def console_problems(self):
        """Severe console entries other than the failed requests the tests cause on purpose."""
        problems = []
        for entry in self.driver.get_log("browser"):
            if entry["level"] != "SEVERE":
                continue
            if "Failed to load resource" in entry["message"]:
                continue
            problems.append(entry["message"])
        return problems

    # Page helpers

    def open_page(self, query=""):
        self.driver.get(f"{BASE_URL}/{query}")
        self.wait.until(lambda d: self.shown("#signin") or self.shown("#workspace"))

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def shown(self, selector):
        elements = self.find_all(selector)
        return bool(elements) and elements[0].is_displayed()

    def text(self, selector):
        return self.find(selector).text

    def sign_in_as_demo_user(self):
        self.find("#signin-demo").click()
        self.wait.until(lambda d: self.shown("#workspace"))
        self.wait.until(lambda d: "left this month" in self.text("#usage") or "No generations left" in self.text("#usage"))

    def remaining(self):
        self.wait.until(lambda d: re.search(r"(\d+) of (\d+) generations left", self.text("#usage"))
                        or "No generations left" in self.text("#usage"))
        match = re.search(r"(\d+) of (\d+) generations left", self.text("#usage"))
        return int(match.group(1)) if match else 0

    def wait_for_remaining(self, value):
        self.wait.until(lambda d: self.remaining() == value, f"the usage never showed {value} left")

    def choose_mode(self, mode):
        # The label takes the click; the radio inside it is visually hidden.
        self.driver.find_element(By.XPATH, f"//input[@id='mode-{mode}']/parent::label").click()
        self.assertTrue(self.find(f"#mode-{mode}").is_selected())

    def choose_radio(self, name, value):
        self.driver.find_element(By.XPATH, f"//input[@name='{name}' and @value='{value}']/parent::label").click()

    def select(self, selector, visible_text):
        Select(self.find(selector)).select_by_visible_text(visible_text)

    def type_prompt(self, text):
        prompt = self.find("#prompt")
        prompt.clear()
        prompt.send_keys(text)

    def upload(self, slot, path):
        self.find(f"#{slot}").send_keys(path)

    def shown_job(self):
        """The id of the job whose results (or failure) the page shows, if any."""
        for selector in ("#results", "#job-failure"):
            if self.shown(selector):
                return self.find(selector).get_attribute("data-job-id")
        return None

    def generate(self):
        """Presses Generate; `wait_for_results` then waits for another job than the one shown."""
        self.previous_job = self.shown_job()
        self.find("#generate").click()

    previous_job = None

    def wait_for_results(self, count):
        """Waits for `count` thumbnails of a new job, each decoded (natural width > 0)."""
        try:
            WebDriverWait(self.driver, GENERATION_TIMEOUT).until(
                lambda d: self.shown_job() not in (None, self.previous_job) or self.form_error())
        except TimeoutException:
            self.fail(f"no result after {GENERATION_TIMEOUT} s; progress says: {self.text('#progress-status')!r}")
        if self.form_error():
            self.fail(f"the submit was refused: {self.form_error()}")
        if self.shown("#job-failure"):
            self.fail(f"the generation failed: {self.text('#job-failure')}")
        self.wait.until(lambda d: len(self.find_all("#variant-grid img")) == count)
        self.wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('#variant-grid img')]"
            ".every(img => img.complete && img.naturalWidth > 0)"))
        return self.find_all("#variant-grid img")

    def form_error(self):
        """The text of the form's error alert, if one is shown."""
        alerts = self.find_all("#form-alert:not(.alert-info)")
        return alerts[0].text if alerts and alerts[0].is_displayed() else None

    def session(self):
        return json.loads(self.driver.execute_script("return sessionStorage.getItem('interior.session')") or "null")

    def save_screenshot(self, name, full_page=True):
        """A screenshot under the build folder; the whole page, not only the viewport."""
        os.makedirs(SCREENSHOTS, exist_ok=True)
        path = os.path.join(SCREENSHOTS, name)
        if full_page:
            metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics["cssContentSize"]
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
            })
            with open(path, "wb") as file:
                file.write(base64.b64decode(shot["data"]))
        else:
            self.driver.save_screenshot(path)
        return path
