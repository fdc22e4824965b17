"""Layout and access: screenshots at desktop width and at 375 px, no sideways scrolling on a
phone, keyboard-only use with a visible focus, a label on every control, and no layout
jumps while a result arrives."""

import os
import unittest

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from support import SCREENSHOTS, PageTest, write_photo

# Sums layout shifts not caused by input (the Cumulative Layout Shift of Web Vitals).
OBSERVE_LAYOUT_SHIFTS = """
window.__layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__layoutShift += entry.value;
  }
}).observe({ type: 'layout-shift', buffered: true });
"""

UNLABELLED_CONTROLS = """
return [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.getClientRects().length > 0 || el.type === 'file' || el.type === 'radio')
  .filter((el) => !el.closest('[hidden]'))
  .filter((el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim())) return false;
    if (el.tagName === 'BUTTON' && el.textContent.trim()) return false;
    return true;
  })
  .map((el) => el.outerHTML.slice(0, 120));
"""


class LayoutTests(PageTest):
    def use_phone_viewport(self):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True})

    def assert_no_sideways_scrolling(self):
        width = self.driver.execute_script("return document.documentElement.scrollWidth")
        viewport = self.driver.execute_script("return window.innerWidth")
        self.assertEqual(viewport, 375)
        self.assertLessEqual(width, 375, "the page scrolls sideways at 375 px")

    def test_screenshots_at_desktop_and_375_px_with_results(self):
        photo = write_photo(self.files.name, "lounge.jpg", (1200, 800))
        self.open_page()
        self.save_screenshot("signin-desktop.png")
        self.sign_in_as_demo_user()
        self.upload("input1", photo)
        self.wait.until(lambda d: self.shown("#field-input1 .preview"))
        self.choose_radio("variants", "3")
        self.generate()
        self.wait_for_results(3)
        self.wait.until(lambda d: len(self.find_all("#history-list .render-card")) == 1)
        desktop = self.save_screenshot("desktop.png")

        self.use_phone_viewport()
        self.driver.refresh()
        self.wait.until(lambda d: self.shown("#workspace"))
        self.wait.until(lambda d: len(self.find_all("#history-list .render-card")) == 1)
        self.assert_no_sideways_scrolling()
        self.choose_mode("compose")
        self.assert_no_sideways_scrolling()
        self.choose_mode("redesign")
        self.find("#history-list .render-actions .button").click()
        self.wait_for_results(3)
        self.assert_no_sideways_scrolling()
        generate = self.find("#generate").rect
        self.assertLessEqual(generate["x"] + generate["width"], 375)
        phone = self.save_screenshot("mobile-375.png")

        for path in (desktop, phone):
            self.assertGreater(os.path.getsize(path), 10_000, f"{path} looks empty")

    def test_the_sign_in_page_fits_375_px(self):
        self.use_phone_viewport()
        self.open_page()
        self.assert_no_sideways_scrolling()
        self.save_screenshot("signin-mobile-375.png")

    def test_keyboard_only_sign_in_and_generate_with_a_visible_focus(self):
        self.open_page()
        # Tab through to the demo sign-in; every focused element shows an outline.
        for _ in range(10):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            active = self.driver.switch_to.active_element
            if active.tag_name == "body":
                continue  # the first Tab may only move focus from the browser into the page
            outline = self.driver.execute_script(
                "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth]", active)
            self.assertNotEqual(outline[0], "none", f"no visible focus on {active.get_attribute('outerHTML')[:80]}")
            if active.get_attribute("id") == "signin-demo":
                break
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "signin-demo")
        ActionChains(self.driver).send_keys(Keys.ENTER).perform()
        self.wait.until(lambda d: self.shown("#workspace"))

        # Focus moves to the form; the mode by arrow keys, the prompt by typing, Generate by Enter.
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "create-title")
        ActionChains(self.driver).send_keys(Keys.TAB).perform()
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "mode-redesign")
        for _ in range(3):
            ActionChains(self.driver).send_keys(Keys.ARROW_RIGHT).perform()
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "mode-imagine")
        self.assertTrue(self.find("#mode-imagine").is_selected())
        self.assertFalse(self.shown("#field-input1"))
        focus_ring = self.driver.execute_script(
            "return getComputedStyle(document.querySelector('#mode-imagine + .mode-card')).outlineStyle")
        self.assertNotEqual(focus_ring, "none", "the focused mode card shows the focus")
        self.tab_to("prompt")
        ActionChains(self.driver).send_keys("A keyboard-made study with a green banker's lamp").perform()
        self.tab_to("generate")
        ActionChains(self.driver).send_keys(Keys.ENTER).perform()
        self.previous_job = None
        self.wait_for_results(2)

        # The viewer opens from the keyboard and Escape closes it.
        self.driver.execute_script("document.querySelector('#variant-grid button').focus()")
        ActionChains(self.driver).send_keys(Keys.ENTER).perform()
        self.wait.until(lambda d: self.find("#viewer").get_attribute("open") is not None)
        ActionChains(self.driver).send_keys(Keys.ESCAPE).perform()
        self.wait.until(lambda d: self.find("#viewer").get_attribute("open") is None)

    def tab_to(self, element_id, limit=25):
        for _ in range(limit):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            if self.driver.switch_to.active_element.get_attribute("id") == element_id:
                return
        self.fail(f"#{element_id} cannot be reached with Tab")

    def test_every_control_has_a_label(self):
        self.open_page()
        self.assertEqual(self.driver.execute_script(UNLABELLED_CONTROLS), [])
        self.sign_in_as_demo_user()
        for mode in ("redesign", "staging", "compose", "imagine"):
            self.choose_mode(mode)
            self.assertEqual(self.driver.execute_script(UNLABELLED_CONTROLS), [], mode)

    def test_no_layout_jumps_while_a_result_arrives(self):
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVE_LAYOUT_SHIFTS})
        self.open_page()
        self.sign_in_as_demo_user()
        self.choose_mode("imagine")
        self.type_prompt("A calm bathroom in pale green zellige")
        self.generate()
        self.wait_for_results(2)
        self.wait.until(lambda d: len(self.find_all("#history-list .render-card")) == 1)
        self.wait.until(lambda d: d.execute_script(
            "return [...document.images].every(i => !i.src || (i.complete && i.naturalWidth > 0))"))
        shift = self.driver.execute_script("return window.__layoutShift")
        self.assertLess(shift, 0.1, "cumulative layout shift above the 'good' threshold of Web Vitals")


if __name__ == "__main__":
    unittest.main()
