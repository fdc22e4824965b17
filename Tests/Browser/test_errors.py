"""What the page says when the API refuses: one job in flight (409), validation (400), the
monthly limit (402), and a lost connection; and that one click is one charge."""

import re
import unittest

from support import PageTest, clear_emulator_faults, queue_emulator_fault

# Records the Idempotency-Key of every submit the page sends (the page calls the global fetch).
RECORD_SUBMITS = """
window.__submits = [];
const realFetch = window.fetch;
window.fetch = function (input, init = {}) {
  if (String(input).endsWith('/api/v1/generations') && init.method === 'POST') {
    window.__submits.push(init.headers['Idempotency-Key']);
  }
  return realFetch.call(this, input, init);
};
"""

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


class InFlightTests(PageTest):
    def test_a_second_submit_while_one_is_in_flight_shows_the_409_message(self):
        # Two tabs of one browser are one demo user: the second tab signs in first.
        first_tab = self.driver.current_window_handle
        self.driver.switch_to.new_window("tab")
        second_tab = self.driver.current_window_handle
        self.open_page()
        self.sign_in_as_demo_user()
        second_user = self.session()["userId"]

        self.driver.switch_to.window(first_tab)
        self.open_page()
        self.sign_in_as_demo_user()
        self.assertEqual(self.session()["userId"], second_user)
        before = self.remaining()

        # The emulator holds the next prediction in processing for 8 s (its operator asks for
        # that through its control endpoint; nothing typed into the page can).
        queue_emulator_fault({"processing_delay": 8})
        self.addCleanup(clear_emulator_faults)
        self.choose_mode("imagine")
        self.type_prompt("A slow sunroom with terracotta tiles")
        self.choose_radio("variants", "1")
        self.generate()
        self.wait.until(lambda d: self.shown("#progress"))
        self.assertFalse(self.find("#generate").is_enabled())

        self.driver.switch_to.window(second_tab)
        self.assertFalse(self.shown("#progress"), "this tab does not know of the job yet")
        self.choose_mode("imagine")
        self.type_prompt("A quick butler's pantry")
        self.generate()
        self.wait.until(lambda d: self.shown("#form-alert"))
        self.assertIn("Please wait until this generation is complete.", self.text("#form-alert"))
        # The tab then follows the job that is running.
        self.wait.until(lambda d: self.shown("#progress"))
        self.assertFalse(self.find("#generate").is_enabled())

        self.driver.switch_to.window(first_tab)
        self.wait_for_results(1)
        self.wait_for_remaining(before - 1)


class ValidationTests(PageTest):
    def test_a_prompt_the_server_refuses_highlights_the_prompt_field(self):
        self.open_page()
        self.sign_in_as_demo_user()
        before = self.remaining()
        self.choose_mode("imagine")
        self.type_prompt("A basement fentanyl lab with stainless benches")
        self.generate()

        self.wait.until(lambda d: self.shown("#prompt-error"))
        self.assertIn("invalid", self.find("#field-prompt").get_attribute("class"))
        self.assertEqual(self.find("#prompt").get_attribute("aria-invalid"), "true")
        self.assertIn("Please check the form", self.text("#form-alert"))
        self.assertNotIn("fentanyl", self.text("#prompt-error"), "the message does not echo the refused words")
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "prompt")
        self.assertTrue(self.find("#generate").is_enabled())
        self.assertFalse(self.shown("#progress"))

        # Editing the prompt clears the mark.
        self.find("#prompt").send_keys(" and plants")
        self.assertFalse(self.shown("#prompt-error"))
        self.assertIsNone(self.find("#prompt").get_attribute("aria-invalid"))
        self.assertEqual(self.remaining(), before, "a refused request is not charged")

    def test_imagine_without_a_prompt_is_caught_before_sending(self):
        self.open_page()
        self.sign_in_as_demo_user()
        self.driver.execute_script(RECORD_SUBMITS)
        self.choose_mode("imagine")
        self.type_prompt("   ")
        self.generate()
        self.wait.until(lambda d: self.shown("#prompt-error"))
        self.assertIn("needs a prompt", self.text("#prompt-error"))
        self.assertEqual(self.find("#prompt").get_attribute("aria-invalid"), "true")
        self.assertEqual(self.driver.execute_script("return window.__submits.length"), 0, "nothing was sent")


class LimitTests(PageTest):
    def test_the_monthly_limit_names_the_plan(self):
        self.open_page()
        self.sign_in_as_demo_user()
        allowance = self.remaining()
        self.assertGreater(allowance, 0)
        self.choose_mode("imagine")
        self.choose_radio("variants", "1")
        for n in range(allowance):
            self.type_prompt(f"A compact laundry, take {n + 1}")
            self.generate()
            self.wait_for_results(1)
        self.wait_for_remaining(0)
        self.assertIn("No generations left this month", self.text("#usage"))

        self.type_prompt("One more laundry")
        self.generate()
        self.wait.until(lambda d: self.shown("#form-alert"))
        alert = self.text("#form-alert")
        self.assertIn("Monthly limit reached", alert)
        self.assertIn(f"You have used all {allowance} generations of the Free plan this month.", alert)
        self.assertIn("renews on", alert)


class ConnectionTests(PageTest):
    def set_offline(self, offline):
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    def test_a_lost_connection_offers_a_retry_that_reuses_the_idempotency_key(self):
        self.open_page()
        self.sign_in_as_demo_user()
        before = self.remaining()
        self.driver.execute_script(RECORD_SUBMITS)
        self.choose_mode("imagine")
        self.choose_radio("variants", "1")
        self.type_prompt("A mudroom with hooks and a timber bench")

        self.set_offline(True)
        self.generate()
        self.wait.until(lambda d: self.shown("#form-alert"))
        self.assertIn("Cannot reach Interior", self.text("#form-alert"))
        retry = self.find("#form-alert button")
        self.assertEqual(retry.text, "Try again")
        self.assertTrue(self.find("#generate").is_enabled())

        self.set_offline(False)
        retry.click()
        self.wait_for_results(1)
        keys = self.driver.execute_script("return window.__submits")
        self.assertEqual(len(keys), 2)
        self.assertRegex(keys[0], UUID)
        self.assertEqual(keys[0], keys[1], "a retry after a network failure sends the same key")
        self.wait_for_remaining(before - 1)

        # A double click is one submit, with a fresh key.
        self.type_prompt("A mudroom with a bench, again")
        self.previous_job = self.shown_job()
        self.driver.execute_script("const b = document.getElementById('generate'); b.click(); b.click();")
        self.wait_for_results(1)
        keys = self.driver.execute_script("return window.__submits")
        self.assertEqual(len(keys), 3, "the second click of a double click sends nothing")
        self.assertNotEqual(keys[2], keys[0])
        self.wait_for_remaining(before - 2)


if __name__ == "__main__":
    unittest.main()
