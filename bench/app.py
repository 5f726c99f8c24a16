"""Benchmark of the app in headless Chromium: time from `movierec app` start to the first rendered page, and from a
click / key press to the updated results, on the sample and on the reconstructed-full catalogue; next to the naive
way (no pre-heated kernel: each visit starts a kernel and runs the notebook; a matplotlib chart instead of HTML bars).
Targets: first render < 4 s, update < 300 ms. Writes reports/screenshot-app-390.png and -1280.png (a real
result page on a phone and a desktop).

    .venv/bin/python bench/app.py                       # sample + full, building clean data and models in a temp folder
    .venv/bin/python bench/app.py --only sample --keep /tmp/bench-app   # reuse built data between runs
"""
import argparse, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHARED = Path(os.environ.get('MOVIEREC_SHARED_DATA', ROOT.parent/'shared'/'data'/'movies-dataset'))
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync']
# misspelt or partial titles present in both catalogues, and the suggestion to click
TITLES = [('Toy Stroy', 'Toy Story (1995)'), ('Jumanj', 'Jumanji (1995)'), ('Braveheat', 'Braveheart (1995)'),
          ('Casno', 'Casino (1995)'), ('GoldenEy', 'GoldenEye (1995)')]


def run(*args):
    r = subprocess.run([str(BIN/'movierec'), *map(str, args)], capture_output=True, text=True)
    if r.returncode: sys.exit(f'movierec {" ".join(map(str, args))} failed:\n{r.stderr}')

def build(raw:Path, out:Path)->tuple[Path, Path]:
    "Clean data and models of `raw` under `out` (reused when already there and fresh)."
    clean, models = out/'clean', out/'models'
    from movierec.config import MovierecError
    from movierec.recommend import Recommender
    try: Recommender.load(model_dir=models, clean_dir=clean); return clean, models
    except MovierecError: pass
    t = time.perf_counter(); run('etl', '--raw-dir', raw, '--out', clean); run('train', '--clean-dir', clean, '--model-dir', models)
    print(f'  built clean data + models of {raw.name} in {time.perf_counter()-t:.1f} s')
    return clean, models

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def tree_rss_mb(pid:int)->float:
    p = psutil.Process(pid)
    return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)] if q.is_running()) / 2**20

def stop(proc):
    if proc.poll() is None: os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)

def render_no(page)->str:
    loc = page.locator('.mr-results-inner')
    return loc.get_attribute('data-render') if loc.count() else '0'

def timed_update(page, action)->float:
    "Seconds from `action` (a click or key press) to the re-rendered results in the page."
    before = render_no(page); t = time.perf_counter(); action()
    page.wait_for_function('b => { const e = document.querySelector(".mr-results-inner"); return e && e.dataset.render !== b; }',
                           arg=before, timeout=30000)
    return time.perf_counter() - t

def visit(browser, url)->float:
    "Seconds from opening `url` in a new tab to the rendered app."
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    t = time.perf_counter(); page.goto(url, timeout=120000)
    page.wait_for_selector('.mr-title input', state='visible', timeout=120000)
    dt = time.perf_counter() - t; page.close(); return dt

def session(browser, clean, models, pool_size:int, rounds:int, screenshot:Path|None=None, settle:float=0)->dict:
    "Start `movierec app`, load the page, time suggestions, clicks, k and filter changes; then a later visit."
    port = free_port(); url = f'http://127.0.0.1:{port}/'
    t0 = time.perf_counter()
    cmd = [BIN/'movierec', 'app', '--port', port, '--no-browser', '--pool-size', pool_size, '--clean-dir', clean, '--model-dir', models]
    proc = subprocess.Popen(list(map(str, cmd)), start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = {}
    try:
        while True:   # the browser opens the URL when movierec app announces it (as it does itself without --no-browser)
            line = proc.stdout.readline()
            if not line and proc.poll() is not None: sys.exit(f'movierec app exited {proc.returncode}')
            if 'serving http' in line: break
        out['announced'] = time.perf_counter() - t0
        page = browser.new_page(viewport={'width': 1280, 'height': 900})
        page.goto(url, timeout=120000)
        page.wait_for_selector('.mr-title input', state='visible', timeout=120000)
        out['first_render'] = time.perf_counter() - t0
        if rounds:
            sugg, click, kk, filt, enter = [], [], [], [], []
            page.locator('.mr-filters-toggle').click()
            page.locator('.mr-k input').wait_for(state='visible', timeout=30000)
            for r in range(rounds):
                typed, target = TITLES[r % len(TITLES)]
                page.fill('.mr-title input', '')
                t = time.perf_counter()
                page.type('.mr-title input', typed, delay=0)
                btn = page.locator('button.mr-suggestion', has_text=target)
                btn.wait_for(timeout=30000)
                sugg.append(time.perf_counter() - t)
                click.append(timed_update(page, btn.click))
                kk.append(timed_update(page, lambda: (page.fill('.mr-k input', str(6 - r % 2)), page.press('.mr-k input', 'Enter'))))
                filt.append(timed_update(page, lambda: page.locator('button.mr-genre', has_text='Drama').click()))
                page.fill('.mr-title input', '')
                page.focus('.mr-title input')
                enter.append(timed_update(page, lambda: (page.keyboard.type(target[:-7], delay=10), page.keyboard.press('Enter'))))
            out.update(suggest=sugg, click=click, k=kk, filter=filt, enter=enter)
        out['rss_mb'] = tree_rss_mb(proc.pid)
        if settle:   # a visitor arriving once the pool has been refilled
            time.sleep(settle); out['visit'] = visit(browser, url)
        if screenshot:
            for w, h in ((390, 844), (1280, 800)):
                page.set_viewport_size({'width': w, 'height': h})
                if page.locator('.mr-genre.mod-active').count():
                    timed_update(page, lambda: page.locator('.mr-genre.mod-active').first.click())
                if page.locator('.mr-k input').is_visible(): page.locator('.mr-filters-toggle').click()
                page.fill('.mr-title input', '')
                page.focus('.mr-title input')
                page.keyboard.type('Toy Story', delay=10)
                page.keyboard.press('Enter')
                try: page.wait_for_function('() => document.querySelector(".mr-query-info").innerText.includes("Toy Story (1995)")',
                                            timeout=30000)
                except Exception: sys.exit(f'no results for Toy Story: {page.inner_text(".mr-app")[:2000]}')
                page.evaluate('window.scrollTo(0, 0)')
                page.wait_for_timeout(500)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot.with_name(f'{screenshot.stem}-{w}.png')), full_page=True)
        page.close()
    finally: stop(proc)
    return out

def ms(xs)->str:
    xs = sorted(xs); p90 = xs[min(len(xs)-1, int(0.9*len(xs)))]
    return f'median {1000*statistics.median(xs):6.0f} ms   p90 {1000*p90:6.0f} ms   (n={len(xs)})'

def chart_baseline(clean, models, n:int=20):
    "Server-side cost of one update: similar() + HTML cards and bars, next to the naive matplotlib chart (PNG)."
    import io, matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from movierec.recommend import Recommender
    from movierec.app import RecommenderApp
    app = RecommenderApp(Recommender.load(model_dir=models, clean_dir=clean)); app.choose('Toy Story')
    t = time.perf_counter()
    for i in range(n): app.k.value = 5 + i % 2
    html_ms = 1000*(time.perf_counter() - t)/n
    recs = app.rec.similar(app.current['id'], k=5)['recommendations']
    t = time.perf_counter()
    for _ in range(n):
        fig, ax = plt.subplots(figsize=(5, 3)); ax.barh([r['title'] for r in recs][::-1], [r['score'] for r in recs][::-1])
        buf = io.BytesIO(); fig.savefig(buf, format='png'); plt.close(fig)
    mpl_ms = 1000*(time.perf_counter() - t)/n
    return html_ms, mpl_ms

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', choices=['sample', 'full'], action='append')
    ap.add_argument('--rounds', type=int, default=10, help='timed rounds of suggestion/click/k/filter per catalogue')
    ap.add_argument('--keep', help='folder where clean data and models are built and kept (default: a temp folder)')
    ap.add_argument('--screenshot', default=str(ROOT/'reports'/'screenshot-app.png'))
    ap.add_argument('--settle', type=float, default=20, help='seconds before the later visit (pool refilled)')
    a = ap.parse_args()
    if not os.path.exists(CHROMIUM): sys.exit('chromium is not installed (apt-get install chromium)')
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix='bench-app-'))
    sets = [(n, SHARED/d) for n, d in (('sample', 'kaggle-sample'), ('full', 'reconstructed-full')) if n in (a.only or ['sample', 'full'])]
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for i, (name, raw) in enumerate(sets):
                clean, models = build(raw, work/name)
                from movierec.recommend import Recommender
                n = len(Recommender.load(model_dir=models, clean_dir=clean).movies)
                print(f'\n== {name}: {n:,} movies (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores) ==')
                shot = Path(a.screenshot) if a.screenshot and i == len(sets) - 1 else None
                hot = session(browser, clean, models, pool_size=1, rounds=a.rounds, screenshot=shot, settle=a.settle)
                cold = session(browser, clean, models, pool_size=0, rounds=0, settle=a.settle)
                print(f'  movierec app start -> page rendered (pre-heated pool)   : {hot["first_render"]:5.2f} s  (URL announced after {hot["announced"]:.2f} s)  target < 4 s')
                print(f'  naive, no pre-heated kernel                            : {cold["first_render"]:5.2f} s')
                print(f'  a later visit -> page rendered, pre-heated kernel      : {hot["visit"]:5.2f} s')
                print(f'  naive, kernel started and notebook run for the visit  : {cold["visit"]:5.2f} s')
                print(f'  keystroke -> live suggestion shown   : {ms(hot["suggest"])}')
                print(f'  suggestion click -> result cards     : {ms(hot["click"])}   target < 300 ms')
                print(f'  k box + Enter -> updated cards       : {ms(hot["k"])}')
                print(f'  title typed at 10 ms/key + Enter -> the right cards : {ms(hot["enter"])}')
                print(f'  genre filter -> updated cards        : {ms(hot["filter"])}')
                print(f'  memory of Voila + its kernels (RSS)  : {hot["rss_mb"]:.0f} MB')
                html_ms, mpl_ms = chart_baseline(clean, models)
                print(f'  kernel side of an update: similar() + HTML cards/bars {html_ms:.1f} ms; naive matplotlib chart alone {mpl_ms:.1f} ms')
                if shot: print(f'  screenshots: {shot.with_name(shot.stem + "-390.png")}, {shot.with_name(shot.stem + "-1280.png")}')
            browser.close()
    finally:
        if not a.keep: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
