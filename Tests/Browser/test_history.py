"""The history of renders: newest first, filters, "load more", open and delete."""

import unittest

from support import PageTest, http_get


class HistoryTests(PageTest):
    def cards(self):
        return self.find_all("#history-list .render-card")

    def test_history_filters_pages_opens_and_deletes_renders(self):
        # A page size of one makes "load more" appear with two renders.
        self.open_page("?pageSize=1")
        self.sign_in_as_demo_user()
        self.wait.until(lambda d: self.shown("#history-empty"))
        self.assertEqual(self.text("#history-empty"), "No renders yet.")

        self.choose_mode("imagine")
        self.choose_radio("variants", "1")
        self.select("#style", "Queenslander")
        self.type_prompt("A breezy verandah lounge")
        self.generate()
        self.wait_for_results(1)
        self.select("#style", "Hamptons AU")
        self.type_prompt("A crisp white kitchen with navy stools")
        self.generate()
        self.wait_for_results(1)

        # Newest first, one per page.
        self.wait.until(lambda d: len(self.cards()) == 1 and self.shown("#history-more"))
        self.assertIn("Hamptons AU", self.cards()[0].text)
        self.find("#history-more").click()
        self.wait.until(lambda d: len(self.cards()) == 2)
        self.assertIn("Queenslander", self.cards()[1].text)
        self.wait.until(lambda d: not self.shown("#history-more"))
        self.wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('#history-list img')].every(i => i.complete && i.naturalWidth > 0)"))

        # Filters ask the server again.
        self.select("#filter-style", "Queenslander")
        self.wait.until(lambda d: len(self.cards()) == 1 and "Queenslander" in self.cards()[0].text)
        self.select("#filter-mode", "Redesign")
        self.wait.until(lambda d: self.shown("#history-empty"))
        self.assertEqual(self.text("#history-empty"), "No renders match these filters.")
        self.select("#filter-mode", "All modes")
        self.select("#filter-style", "All styles")
        self.wait.until(lambda d: len(self.cards()) == 1 and self.shown("#history-more"))

        # Open shows the render's variants in the result panel.
        hamptons = self.cards()[0]
        hamptons.find_element("css selector", ".render-actions .button").click()
        self.wait.until(lambda d: "Hamptons AU" in self.text("#results-summary"))
        thumbnail_url = self.find("#variant-grid img").get_attribute("src")
        self.assertEqual(http_get(thumbnail_url)[0], 200)

        # Delete asks once, then removes the render and its images.
        hamptons.find_element("css selector", ".button-danger").click()
        self.assertEqual(self.driver.switch_to.active_element.text, "Keep")
        hamptons.find_element("xpath", ".//button[text()='Delete for good']").click()
        self.wait.until(lambda d: "Deleted" in self.text("#history-alert"))
        self.wait.until(lambda d: all("Hamptons AU" not in card.text for card in self.cards()))
        self.assertFalse(self.shown("#results"), "the deleted render's results are cleared")
        self.assertEqual(http_get(thumbnail_url)[0], 404, "a deleted render's images are gone")

        self.driver.refresh()
        self.wait.until(lambda d: self.shown("#workspace"))
        self.wait.until(lambda d: len(self.cards()) == 1)
        self.assertIn("Queenslander", self.cards()[0].text)
        self.assertFalse(self.shown("#history-more"))


if __name__ == "__main__":
    unittest.main()
