"""Headless Chromium drives the showcase: log in through the form (microdot.login), the
login-required templated page, a chat between two pages over WebSocket, the SSE feed,
credentialed cross-origin calls (allowed and blocked), a form posted from another origin refused
(microdot.csrf, with the headers Chromium itself sets), and logging out."""
import os
import re

import pytest

pytest.importorskip('playwright')
from playwright.sync_api import expect  # noqa: E402

TIMEOUT = 10000  # ms, for every wait on the page


def log_in(context, url, name):
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url + '/')
    # login required: the app sends us to the form, which posts back to ?next=
    expect(page).to_have_url(url + '/login?next=/')
    page.fill('#username', name)
    page.click('#login-form button')
    expect(page).to_have_url(url + '/')  # login_user's redirect to next
    expect(page.locator('#user')).to_have_text(name)  # rendered by the template from the session
    expect(page.locator('#chat-status')).to_have_text('connected')
    return page


def test_showcase_in_chromium(browser, showcase, artifacts):
    url = showcase.url
    alice_context = browser.new_context(viewport={'width': 1100, 'height': 760})
    bob_context = browser.new_context()
    try:
        alice = log_in(alice_context, url, 'alice')
        assert 'microdot showcase' in alice.title()
        bob = log_in(bob_context, url, 'bob')

        # chat over WebSocket between two pages (two browser contexts, two sessions)
        alice.fill('#chat-text', 'hello from alice')
        alice.click('#chat-form button')
        expect(bob.locator('#messages')).to_contain_text('alice: hello from alice')
        reply = 'hi alice, bob here <b>not bold</b>'  # shown as text, never as markup
        bob.fill('#chat-text', reply)
        bob.press('#chat-text', 'Enter')
        expect(alice.locator('#messages')).to_contain_text('bob: ' + reply)
        expect(alice.locator('#messages')).to_contain_text('bob joined')

        # SSE: the feed counts events and reports the chat (two people, some messages)
        expect(alice.locator('#feed-count')).to_have_text(re.compile(r'^([3-9]|\d\d+)$'),
                                                          timeout=TIMEOUT)
        expect(alice.locator('#feed-online')).to_have_text('2')
        assert int(alice.locator('#feed-messages').inner_text()) >= 2

        # a page on an allowed origin reads the API with alice's cookie
        other = alice_context.new_page()
        other.set_default_timeout(TIMEOUT)
        other.goto(showcase.allowed.url + '/')
        other.click('#call')
        expect(other.locator('#result')).to_have_text(re.compile(r'^allowed: user=alice '))

        # ... and a page on an origin the showcase does not list is blocked by the browser
        denied = alice_context.new_page()
        denied.set_default_timeout(TIMEOUT)
        messages = []
        denied.on('console', lambda msg: messages.append(msg.text))
        denied.goto(showcase.denied.url + '/')
        denied.click('#call')
        expect(denied.locator('#result')).to_have_text(re.compile(r'^blocked: '))
        assert any('CORS' in m for m in messages), messages

        # ... and a form on that page that posts to the showcase's /logout with alice's cookies
        # (same site: the ports differ, so SameSite=Lax sends them) is refused by microdot.csrf
        with denied.expect_response(lambda r: r.url == url + '/logout') as answer:
            denied.click('#forge button')
        forged = answer.value
        assert forged.status == 403
        sent = forged.request.all_headers()  # set by Chromium, not by the test
        assert sent['origin'] == showcase.denied.url
        assert sent['sec-fetch-site'] == 'same-site'
        assert 'session=' in sent.get('cookie', '')
        expect(denied.locator('body')).to_contain_text('Forbidden')
        alice.reload()
        expect(alice).to_have_url(url + '/')  # still logged in
        expect(alice.locator('#user')).to_have_text('alice')

        alice.bring_to_front()
        alice.screenshot(path=os.path.join(artifacts, 'showcase-{}.png'.format(showcase.runtime)),
                         full_page=True)

        # log out: the session ends and the page is the login form again
        alice.click('#logout')
        expect(alice).to_have_url(url + '/login')
        alice.goto(url + '/')
        expect(alice).to_have_url(url + '/login?next=/')  # the protected page is gone
    finally:
        alice_context.close()
        bob_context.close()
