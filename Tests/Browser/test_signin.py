"""Signing in and out: the demo user, a pasted access token, a refused token, and a session
the server no longer accepts."""

import json
import unittest
import urllib.request
import uuid

from support import BASE_URL, PageTest


def mint_token(user_id):
    request = urllib.request.Request(
        f"{BASE_URL}/api/v1/auth/dev-token", data=json.dumps({"userId": user_id}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]["token"]


class SignInTests(PageTest):
    def test_the_demo_user_is_the_same_account_in_this_browser_and_sign_out_forgets_the_token(self):
        self.open_page()
        self.assertTrue(self.shown("#signin-demo"), "dev auth mode offers the demo sign-in")
        self.sign_in_as_demo_user()
        user = self.session()["userId"]
        self.assertEqual(self.driver.execute_script("return localStorage.getItem('interior.demoUser')"), user)

        self.find("#sign-out").click()
        self.wait.until(lambda d: self.shown("#signin"))
        self.assertIsNone(self.session())
        self.assertFalse(self.shown("#workspace"))

        self.sign_in_as_demo_user()
        self.assertEqual(self.session()["userId"], user, "the browser keeps its demo account")

    def test_a_pasted_access_token_signs_in_as_its_user(self):
        user = str(uuid.uuid4())
        token = mint_token(user)
        self.open_page()
        self.find("#signin-token-details summary").click()
        self.find("#signin-token").send_keys("Bearer " + token)
        self.find("#signin-token-form button[type=submit]").click()
        self.wait.until(lambda d: self.shown("#workspace"))
        self.assertEqual(self.session()["userId"], user)
        self.assertEqual(self.session()["token"], token)
        self.assertIsNotNone(self.session()["expiresAt"], "the expiry is read from the token")
        self.remaining()

    def test_a_refused_token_is_explained_at_the_field(self):
        self.open_page()
        self.find("#signin-token-details summary").click()
        self.find("#signin-token").send_keys("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")
        self.find("#signin-token-form button[type=submit]").click()
        self.wait.until(lambda d: self.shown("#signin-token-error"))
        self.assertIn("This token was not accepted", self.text("#signin-token-error"))
        self.assertEqual(self.find("#signin-token").get_attribute("aria-invalid"), "true")
        self.assertFalse(self.shown("#workspace"))
        self.assertIsNone(self.session())

    def test_a_session_the_server_no_longer_accepts_returns_to_sign_in(self):
        self.open_page()
        self.sign_in_as_demo_user()
        # As if the token had been revoked or signed with a secret the server no longer has.
        self.driver.execute_script("""
            const session = JSON.parse(sessionStorage.getItem('interior.session'));
            session.token = session.token.slice(0, -4) + 'AAAA';
            sessionStorage.setItem('interior.session', JSON.stringify(session));""")
        self.driver.refresh()
        self.wait.until(lambda d: self.shown("#signin"))
        self.assertIn("Please sign in again", self.text("#page-alert"))
        self.assertIsNone(self.session())


if __name__ == "__main__":
    unittest.main()
