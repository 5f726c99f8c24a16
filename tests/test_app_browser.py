"""The served app in a real browser: headless Debian Chromium driven by Playwright, against `movierec app` on a free
loopback port with the sample data. Skipped when Chromium is not installed, unless MOVIEREC_REQUIRE_BROWSER=1 (CI)."""
import os, re, shutil
from urllib.parse import urlsplit
import pytest
from test_app import app_server

CHROMIUM = shutil.which('chromium') or next((p for p in ('/usr/bin/chromium',) if os.path.exists(p)), None)
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync']


@pytest.fixture(scope='module')
def browser():
    if CHROMIUM is None:
        msg = 'chromium is not installed (apt-get install chromium)'
        if os.environ.get('MOVIEREC_REQUIRE_BROWSER') == '1': pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope='module')
def served(clean_dir, model_dir):
    with app_server(clean_dir, model_dir) as (url, proc): yield url


def card_ids(page)->list[int]: return [int(x) for x in page.locator('.mr-card').evaluate_all('els => els.map(e => e.dataset.id)')]
def card_scores(page)->list[float]: return [float(x) for x in page.locator('.mr-card').evaluate_all('els => els.map(e => e.dataset.score)')]
def render_no(page)->str: return page.locator('.mr-results-inner').get_attribute('data-render') if page.locator('.mr-results-inner').count() else '0'

def wait_update(page, before:str):
    "Wait until the results were re-rendered after `before` (the data-render counter of the results)."
    page.wait_for_function('b => { const e = document.querySelector(".mr-results-inner"); return e && e.dataset.render !== b; }',
                           arg=before, timeout=15000)


def test_search_suggest_filter_offline(browser, served):
    page = browser.new_page(viewport={'width': 1280, 'height': 1000})
    requests, sockets, failed, errors = [], [], [], []
    page.on('request', lambda r: requests.append(r.url))
    page.on('requestfailed', lambda r: failed.append(r.url))
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.on('websocket', lambda w: sockets.append(w.url))
    page.goto(served, timeout=60000)
    page.wait_for_selector('.mr-title input', timeout=60000)

    # a title with a typo: the suggestion is offered, picking it shows k cards with scores, best first
    page.type('.mr-title input', 'Toy Stroy', delay=20)
    sugg = page.locator('button.mr-suggestion', has_text='Toy Story (1995)')
    sugg.wait_for(timeout=15000)
    sugg.click()
    page.wait_for_selector('.mr-card', timeout=15000)
    assert page.locator('.mr-card').count() == 5
    scores = card_scores(page)
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert page.locator('.mr-card .mr-score').count() == 5 and page.locator('.mr-chart-row').count() == 5
    page.wait_for_function('() => document.querySelector(".mr-title input").value === "Toy Story (1995)"', timeout=5000)
    first = card_ids(page)

    # gibberish: a notice and suggestions, no traceback
    page.fill('.mr-title input', 'Toyy Storrry zq')
    page.press('.mr-title input', 'Enter')
    page.wait_for_selector('.mr-notice-box.mr-warn', timeout=15000)
    assert 'No movie called' in page.inner_text('.mr-notice')
    assert page.locator('button.mr-suggestion:visible').count() > 0
    page.fill('.mr-title input', 'xqzjvkwpq')
    page.press('.mr-title input', 'Enter')
    page.wait_for_function('() => document.querySelector(".mr-notice").innerText.includes("xqzjvkwpq")', timeout=15000)
    assert page.locator('button.mr-suggestion:visible').count() > 0   # popular movies as a way out
    assert page.locator('.mr-card').count() == 0

    # back to a movie, then k and a filter change the results
    page.locator('button.mr-suggestion:visible').first.click()
    page.wait_for_selector('.mr-card', timeout=15000)
    page.fill('.mr-title input', 'Toy Story'); page.press('.mr-title input', 'Enter')
    page.wait_for_function('() => document.querySelector(".mr-title input").value === "Toy Story (1995)"', timeout=15000)
    page.wait_for_function('() => document.querySelectorAll(".mr-card").length === 5', timeout=15000)
    assert card_ids(page) == first
    before = render_no(page)
    page.locator('.mr-k .noUi-handle').first.focus()
    for _ in range(3): page.keyboard.press('ArrowRight')
    wait_update(page, before)
    page.wait_for_function('() => document.querySelectorAll(".mr-card").length === 8', timeout=15000)
    assert card_ids(page)[:5] == first
    before = render_no(page)
    page.locator('.mr-genres select').select_option('Drama')
    wait_update(page, before)
    after = card_ids(page)
    assert after and after[:len(first)] != first
    assert all('Drama' in m for m in page.locator('.mr-card .mr-meta').all_inner_texts())

    # a title shared by several movies: a picker with the years; picking the other one changes the results
    page.fill('.mr-title input', 'Hamlet'); page.press('.mr-title input', 'Enter')
    page.locator('.mr-picker select').wait_for(state='visible', timeout=15000)
    labels = [l.replace('\xa0', ' ') for l in page.locator('.mr-picker select option').all_inner_texts()]  # the dropdown shows spaces as nbsp
    assert labels == ['Hamlet (1948)', 'Hamlet (1996)'], labels
    i = next(i for i, l in enumerate(labels) if l != page.input_value('.mr-title input')); other = labels[i]
    before, ids = render_no(page), card_ids(page)
    page.locator('.mr-picker select').select_option(index=i)
    wait_update(page, before)
    assert page.input_value('.mr-title input') == other and card_ids(page) != ids

    # never a traceback, no failed request or script error, nothing fetched from outside this machine
    assert failed == [] and errors == [], (failed, errors)
    html = page.content()
    assert 'Traceback' not in html and page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
    hosts = {urlsplit(u).hostname for u in requests + sockets if not u.startswith(('data:', 'blob:', 'about:'))}
    assert hosts == {'127.0.0.1'}, sorted(hosts)
    page.close()
