"""Creating renders through the page: imagine from a prompt, redesign an uploaded photo, and
the image checks made before anything is sent."""

import os
import unittest

import pillow_heif

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from support import BASE_URL, PageTest, http_get, write_photo

pillow_heif.register_heif_opener()


class ImagineTests(PageTest):
    def test_imagine_from_a_prompt_shows_variants_that_open_full_size(self):
        self.open_page()
        self.assertTrue(self.shown("#emulator-banner"), "the emulator is in use, so the page must say so")
        self.assertIn("Emulator mode", self.text("#emulator-banner"))

        self.sign_in_as_demo_user()
        session = self.session()
        self.assertRegex(session["userId"], r"^[0-9a-f-]{36}$")
        self.assertTrue(session["token"].count(".") == 2, "the token is a JWT kept in sessionStorage")
        self.assertIsNone(self.driver.execute_script("return localStorage.getItem('interior.session')"),
                          "the token lives in sessionStorage only")
        before = self.remaining()

        self.choose_mode("imagine")
        self.assertFalse(self.shown("#field-input1"), "imagine takes no photo")
        self.assertFalse(self.shown("#field-input2"))
        self.assertEqual(self.text("#prompt-requirement"), "(required)")

        prompt = "A sunlit reading nook with a built-in window seat and linen cushions"
        self.type_prompt(prompt)
        self.assertEqual(self.text("#prompt-counter"), f"{len(prompt)} / 1000")
        self.choose_radio("variants", "2")
        self.generate()

        self.wait.until(lambda d: self.shown("#progress"))
        self.assertFalse(self.find("#generate").is_enabled(), "Generate is disabled while a job is in flight")
        self.assertRegex(self.text("#progress-elapsed"), r"^\d+:\d\d$")
        self.assertIn(self.text("#progress-status"), ("Starting…", "Generating your images…"))

        thumbnails = self.wait_for_results(2)
        self.assertTrue(self.find("#generate").is_enabled(), "Generate is enabled again once the job ended")
        self.assertIn("Imagine", self.text("#results-summary"))

        thumbnails[0].find_element("xpath", "./ancestor::button").click()
        self.wait.until(lambda d: self.find("#viewer").get_attribute("open") is not None)
        self.wait.until(lambda d: d.execute_script(
            "const img = document.getElementById('viewer-image'); return img.complete && img.naturalWidth > 0"))
        full = self.find("#viewer-image")
        natural_width = self.driver.execute_script("return arguments[0].naturalWidth", full)
        thumb_width = self.driver.execute_script("return arguments[0].naturalWidth", thumbnails[0])
        self.assertGreater(natural_width, thumb_width, "the viewer shows the full-size image, not the thumbnail")

        download = self.find("#viewer-download")
        self.assertEqual(download.get_attribute("href"), full.get_attribute("src"))
        self.assertRegex(download.get_attribute("download"), r"^interior-[0-9a-f-]{36}-1\.webp$")
        status, content_type = http_get(download.get_attribute("href"))
        self.assertEqual((status, content_type), (200, "image/webp"))

        self.find("#viewer-next").click()
        self.assertEqual(self.text("#viewer-title"), "Variant 2 of 2")
        ActionChains(self.driver).send_keys(Keys.ESCAPE).perform()
        self.wait.until(lambda d: self.find("#viewer").get_attribute("open") is None)
        self.assertEqual(self.driver.switch_to.active_element, thumbnails[0].find_element("xpath", "./ancestor::button"),
                         "closing the viewer returns focus to the thumbnail that opened it")

        self.wait_for_remaining(before - 1)
        self.wait.until(lambda d: len(self.find_all("#history-list .render-card")) == 1)

        # "Use these settings again" puts the job's settings back, prompt included.
        self.choose_mode("redesign")
        self.type_prompt("something else")
        self.find("#reuse-settings").click()
        self.assertTrue(self.find("#mode-imagine").is_selected())
        self.assertEqual(self.find("#prompt").get_attribute("value"), prompt)
        self.assertTrue(self.find("input[name=variants][value='2']").is_selected())
        self.assertIn("Settings restored", self.text("#form-alert"))


class PhotoTests(PageTest):
    def test_redesign_with_an_uploaded_photo_shows_results(self):
        photo = write_photo(self.files.name, "living-room.jpg", (900, 600))
        self.open_page()
        self.sign_in_as_demo_user()

        self.assertTrue(self.find("#mode-redesign").is_selected(), "redesign is the configured default")
        self.assertTrue(self.shown("#field-input1"))
        self.assertFalse(self.shown("#field-input2"), "redesign takes one photo")
        self.assertEqual(self.text("#prompt-requirement"), "(optional)")

        self.upload("input1", photo)
        self.wait.until(lambda d: self.shown("#field-input1 .preview"))
        self.wait.until(lambda d: d.execute_script(
            "const img = document.querySelector('#field-input1 .preview-image'); return img.naturalWidth === 900"))
        self.assertIn("living-room.jpg", self.text("#field-input1 .preview-caption"))
        self.assertTrue(self.find("#field-input1 .preview-image").get_attribute("src").startswith("blob:"))

        self.select("#roomType", "Bedroom")
        self.select("#style", "Japandi")
        self.choose_radio("aspectRatio", "3:2")
        self.choose_radio("variants", "1")
        self.generate()

        [thumbnail] = self.wait_for_results(1)
        summary = self.text("#results-summary")
        self.assertIn("Redesign", summary)
        self.assertIn("Bedroom", summary)
        self.assertIn("Japandi", summary)
        width, height = self.driver.execute_script(
            "return [arguments[0].naturalWidth, arguments[0].naturalHeight]", thumbnail)
        self.assertGreater(width, height, "3:2 is landscape")

    def test_an_iphone_heic_photo_is_offered_accepted_and_sent(self):
        photo = write_photo(self.files.name, "IMG_0042.HEIC", (900, 600), "HEIF")
        self.open_page()
        self.sign_in_as_demo_user()
        accept = self.find("#input1").get_attribute("accept").split(",")
        for wanted in ("image/heic", "image/heif", "image/avif", ".heic", ".avif"):
            self.assertIn(wanted, accept, "the file picker offers phone photos")
        self.assertIn("HEIC", self.text("#input1-hint"))

        self.upload("input1", photo)
        self.wait.until(lambda d: self.shown("#field-input1 .preview"))
        self.assertFalse(self.shown("#input1-error"), "a HEIC photo is not refused, drawable here or not")
        self.assertIn("IMG_0042.HEIC", self.text("#field-input1 .preview-caption"))
        drawn = self.driver.execute_script(
            "const img = document.querySelector('#field-input1 .preview-image');"
            "return new Promise((done) => { if (img.complete) done(img.naturalWidth > 0);"
            " else img.addEventListener('load', () => done(true)); img.addEventListener('error', () => done(false)); })")
        if not drawn:
            self.wait.until(lambda d: "no preview in this browser" in self.text("#field-input1 .preview-caption"))

        self.choose_radio("variants", "1")
        self.generate()
        [thumbnail] = self.wait_for_results(1)
        self.assertIn("Redesign", self.text("#results-summary"))

    def test_compose_shows_two_image_inputs_and_checks_them_before_sending(self):
        not_an_image = os.path.join(self.files.name, "notes.jpg")
        with open(not_an_image, "w") as file:
            file.write("these are not pixels")
        tiny = write_photo(self.files.name, "tiny.png", (120, 90), "PNG")

        self.open_page()
        self.sign_in_as_demo_user()
        before = self.remaining()
        self.choose_mode("compose")
        self.assertTrue(self.shown("#field-input1"))
        self.assertTrue(self.shown("#field-input2"))

        self.upload("input2", not_an_image)
        self.wait.until(lambda d: self.shown("#input2-error"))
        self.assertIn("is not a JPEG, PNG, WebP, HEIC, HEIF or AVIF image", self.text("#input2-error"))
        self.assertEqual(self.find("#input2").get_attribute("aria-invalid"), "true")
        self.assertFalse(self.shown("#field-input2 .preview"))

        self.upload("input1", tiny)
        self.wait.until(lambda d: self.shown("#input1-error"))
        self.assertIn("short side must be at least 256 px", self.text("#input1-error"))

        self.generate()
        self.wait.until(lambda d: self.find("#generate").is_enabled())
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "input1",
                         "the first field at fault gets the focus")
        self.assertFalse(self.shown("#progress"), "nothing was sent")
        self.assertIn("invalid", self.find("#field-input1").get_attribute("class"))
        self.assertIn("invalid", self.find("#field-input2").get_attribute("class"))

        # A good image clears its slot's error.
        self.upload("input2", write_photo(self.files.name, "reference.png", (512, 512), "PNG"))
        self.wait.until(lambda d: self.shown("#field-input2 .preview"))
        self.assertFalse(self.shown("#input2-error"))
        self.assertEqual(self.remaining(), before, "no generation was charged")


if __name__ == "__main__":
    unittest.main()
