"""The app without a browser: its widget logic on the real recommender built from the sample data, and
`movierec app` as a process (refusals before Voila starts, the served page, kernels culled and capped, a clean stop
on Ctrl-C / SIGTERM / SIGHUP / the parent's death)."""
import json, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request
from contextlib import contextmanager
from pathlib import Path
import psutil, pytest
from conftest import BIN, movierec, free_port, Output, family, is_kernel, wait_until, kill_all


def start_app(clean_dir, model_dir, *args, port=None, ignore_sigint=False):
    "`movierec app` on a free loopback port, in a session of its own; returns (proc, port, output)."
    port = port or free_port()
    pre = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
    proc = subprocess.Popen([str(BIN/'movierec'), 'app', '--port', str(port), '--no-browser', '--clean-dir', str(clean_dir),
                             '--model-dir', str(model_dir), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True, preexec_fn=pre,
                            env={**os.environ, 'MPLBACKEND': 'Agg'})
    return proc, port, Output(proc)


def wait_serving(proc, out, timeout=300):
    if not out.wait_for('serving http', timeout): pytest.fail(f'movierec app did not start (exit {proc.poll()}):\n{out.text}')
    assert wait_until(lambda: any(is_kernel(p) for p in family(proc.pid)), 300), 'no pre-heated kernel is running'


def cleanup(proc, seen):
    "Kill whatever is left of `proc` and the processes `seen` earlier (its kernels run in sessions of their own)."
    if proc.poll() is None: os.killpg(proc.pid, signal.SIGKILL)
    kill_all(seen + family(proc.pid))
    proc.wait(30)


@contextmanager
def app_server(clean_dir, model_dir, *args):
    "Run `movierec app`; yield (url, proc); SIGTERM it and check nothing it started survives."
    proc, port, out = start_app(clean_dir, model_dir, *args)
    seen = []
    try:
        wait_serving(proc, out)
        seen = family(proc.pid)
        yield f'http://127.0.0.1:{port}/', proc
        seen = family(proc.pid)
        os.killpg(proc.pid, signal.SIGTERM)
        try: proc.wait(120)
        except subprocess.TimeoutExpired: pytest.fail('movierec app ignored SIGTERM')
        _, alive = psutil.wait_procs(seen, timeout=60)
        assert not alive, f'processes left behind after SIGTERM: {[p.pid for p in alive]}'
    finally: cleanup(proc, seen)


def _runtime_of(proc)->Path:
    "The private runtime folder of the `movierec app` process `proc` (its owner file names it)."
    found = [p for p in Path(tempfile.gettempdir()).glob('movierec-app-*') if (p/'owner').exists()
             and (p/'owner').read_text().split(':')[0] == str(proc.pid)]
    assert len(found) == 1, found
    return found[0]


def health(url)->dict:
    with urllib.request.urlopen(url + 'movierec/health', timeout=60) as r: return json.loads(r.read())


def status_of(url)->tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=300) as r: return r.status, r.read().decode()
    except urllib.error.HTTPError as e: return e.code, e.read().decode()


# --- widget logic on the real recommender -------------------------------------------------------------

@pytest.fixture(scope='module')
def app(clean_dir, model_dir):
    from movierec.recommend import Recommender
    from movierec.app import RecommenderApp
    return RecommenderApp(Recommender.load(model_dir=model_dir, clean_dir=clean_dir))

def cards(app)->list[tuple[int, float]]:
    return [(int(i), float(s)) for i, s in re.findall(r'class="mr-card" data-id="(\d+)" data-score="([\d.]+)"', app.results.value)]

def visible(app)->list[str]:
    return [b.description for b in app.buttons if b.layout.display != 'none']


def test_typo_suggestion_gives_k_cards(app):
    app.clear_filters(); app.k.value = 5
    app.title.value = 'toy stroy'
    assert 'Toy Story (1995)' in visible(app)
    app.buttons[visible(app).index('Toy Story (1995)')].click()
    got = cards(app)
    assert len(got) == 5 and app.current['id'] == 862
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert 862 not in [i for i, _ in got]
    assert app.chart.value.count('mr-chart-row') == 5
    assert app.rec.similar(862, k=5)['recommendations'][0]['id'] == got[0][0]


def test_k_and_filters_change_results(app):
    app.clear_filters(); app.choose('Toy Story'); app.k.value = 5
    before = cards(app)
    app.k.value = 9
    assert len(cards(app)) == 9 and cards(app)[:5] == before
    app.language.value = 'fr'   # filters apply to the model's top-K neighbours: maybe none is French
    assert set(re.findall(r'class="mr-lang">(\w+)<', app.results.value)) <= {'fr'}
    if not cards(app): assert 'most similar movies matches these filters' in app.notice.value
    app.clear_filters(); app.genres.value = ('Drama',)
    got = cards(app)
    assert got and got != before[:len(got)]
    assert all(i in {m['id'] for m in app.rec.similar(862, k=50)['recommendations']} for i, _ in got)
    assert all('Drama' in app.rec.movies.loc[i, 'genres'] for i, _ in got)
    app.clear_filters()
    lo, hi = app.years.value
    app.years.value = (lo, 1990)
    years = [int(y) for y in re.findall(r'class="mr-year">\((\d{4})\)', app.results.value)]
    assert years and max(years) <= 1990 < hi
    app.clear_filters(); app.votes.value = 1000
    votes = [int(v.replace(',', '')) for v in re.findall(r'([\d,]+) votes', app.results.value)]
    assert votes and min(votes) >= 1000
    app.clear_filters()
    assert cards(app)[:5] == before


def test_same_title_picker(app):
    app.clear_filters(); app.title.value = 'Hamlet'; app.submit()
    assert app.picker.layout.display == '' and [l for l, _ in app.picker.options] == ['Hamlet (1948)', 'Hamlet (1996)']
    first = app.current['id']
    other = next(v for _, v in app.picker.options if v != first)
    app.picker.value = other
    assert app.current['id'] == other and cards(app) and other not in [i for i, _ in cards(app)]
    app.choose('Toy Story')
    assert app.picker.layout.display == 'none'


def test_unknown_titles_get_notices_not_errors(app):
    app.title.value = 'Toy Storyy 1995 zz'; app.submit()
    assert 'No movie called' in app.notice.value and app.results.value == '' and app.current is None
    assert 'Toy Story (1995)' in visible(app)
    app.title.value = 'qxzjvkw'; app.submit()
    assert 'popular' in app.notice.value and len(visible(app)) > 0
    app.title.value = '   '; app.submit()
    assert 'Type a movie title' in app.notice.value


# --- the served app ---------------------------------------------------------------------------------------

def test_refuses_missing_or_stale_inputs(tmp_path, clean_dir, model_dir):
    r = movierec('app', '--no-browser', '--port', free_port(), '--clean-dir', tmp_path/'none', '--model-dir', model_dir, check=False)
    assert r.returncode != 0 and 'movierec etl' in r.stderr and 'Traceback' not in r.stderr
    r = movierec('app', '--no-browser', '--port', free_port(), '--clean-dir', clean_dir, '--model-dir', tmp_path/'nomodel', check=False)
    assert r.returncode != 0 and 'movierec train' in r.stderr and 'Traceback' not in r.stderr
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        busy = s.getsockname()[1]
        r = movierec('app', '--no-browser', '--port', busy, '--clean-dir', clean_dir, '--model-dir', model_dir, check=False)
    assert r.returncode != 0 and 'in use' in r.stderr
    r = movierec('app', '--no-browser', '--max-kernels', 0, '--clean-dir', clean_dir, '--model-dir', model_dir, check=False)
    assert r.returncode != 0 and '--max-kernels' in r.stderr and 'Traceback' not in r.stderr


def test_serves_offline_page_without_sources_and_stops_cleanly(clean_dir, model_dir):
    stale = Path(tempfile.mkdtemp(prefix='movierec-app-'))   # a killed app's leftover: its owner is dead
    (stale/'owner').write_text('999999999:1.00')
    with app_server(clean_dir, model_dir) as (url, proc):
        assert not stale.exists(), 'the leftover of a dead app was not removed at start'
        runtime = [_runtime_of(proc)]
        assert list((runtime[0]/'conn').glob('voila_*')), 'connection files outside the runtime'
        page = urllib.request.urlopen(url, timeout=300).read().decode()
        again = urllib.request.urlopen(url, timeout=300).read().decode()   # the pool is empty now: a kernel is started for it
        assert 'application/vnd.jupyter.widget-view+json' in again and 'Traceback' not in again
        kernels = [p for p in family(proc.pid) if is_kernel(p)]
        assert kernels, 'no kernel is running'
    assert not runtime[0].exists(), 'the runtime folder was left behind'
    assert 'jupyter-config-data' in page and 'application/vnd.jupyter.widget-view+json' in page
    remote = re.findall(r'''<(?:link|script)[^>]+(?:href|src)=["'](https?://[^"']+)''', page)
    assert remote == [], remote
    assert 'build_app' not in page and 'from movierec' not in page  # sources stripped
    assert 'Traceback' not in page
    assert not any(k.is_running() for k in kernels)


def test_pages_without_websocket_are_capped_and_their_kernels_culled(clean_dir, model_dir):
    "A GET that never opens the websocket (curl, a crawler) holds a kernel less than a minute; past the cap: 503."
    with app_server(clean_dir, model_dir, '--max-kernels', 1) as (url, proc):
        assert health(url)['in_use'] == 0   # the health check itself costs no kernel
        code, _ = status_of(url)
        assert code == 200 and health(url)['in_use'] == 1
        code, page = status_of(url)
        assert code == 503 and 'try again' in page and 'Traceback' not in page
        assert wait_until(lambda: health(url)['in_use'] == 0, timeout=180), health(url)
        assert status_of(url)[0] == 200


def test_ctrl_c_stops_voila_and_kernels(clean_dir, model_dir):
    """Ctrl-C reaches only the CLI's process group: the CLI must stop Voila (its own session) and the kernels. Started
    with SIGINT ignored, as a script's background job is (the CLI installs its handlers explicitly)."""
    proc, _, out = start_app(clean_dir, model_dir, ignore_sigint=True)
    kids = []
    try:
        wait_serving(proc, out)
        kids = family(proc.pid)[1:]
        assert any('voila' in ' '.join(p.cmdline()) for p in kids) and any(is_kernel(p) for p in kids)
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(120) == 0
        assert out.wait_for('stopping', 30), out.text
        _, alive = psutil.wait_procs(kids, timeout=60)
        assert alive == [], [p.cmdline() for p in alive]
    finally: cleanup(proc, kids)


@pytest.mark.parametrize('sig', [signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
def test_hangup_or_kill_stops_voila_and_kernels(clean_dir, model_dir, sig):
    "The terminal closing (SIGHUP) or `kill -9` of `movierec app`: Voila and its kernels go too."
    proc, _, out = start_app(clean_dir, model_dir)
    kids = []
    try:
        wait_serving(proc, out)
        kids = family(proc.pid)[1:]
        runtime = _runtime_of(proc)
        os.kill(proc.pid, sig)
        proc.wait(120)
        _, alive = psutil.wait_procs(kids, timeout=90)
        assert alive == [], [p.cmdline() for p in alive]
        from movierec.appserver import clean_stale_runtimes
        clean_stale_runtimes()   # what the next `movierec app` does first: a killed app's folder goes
        assert not runtime.exists()
    finally: cleanup(proc, kids)


def test_damaged_model_stops_before_serving(tmp_path, clean_dir, model_dir):
    "Manifests that agree but a missing artifact: the pre-heated kernel cannot load it, movierec app says so and exits."
    import shutil
    broken = tmp_path/'models'
    shutil.copytree(model_dir, broken)
    for p in broken.glob('*/neighbours.npz'): p.unlink()
    r = movierec('app', '--no-browser', '--port', free_port(), '--clean-dir', clean_dir, '--model-dir', broken, check=False, timeout=600)
    assert r.returncode != 0 and 'movierec train' in r.stderr and 'serving' not in r.stdout, (r.stdout, r.stderr)
    assert 'Traceback' not in r.stderr


def _kernel_alive(url, kid)->bool:
    return status_of(f'{url}api/kernels/{kid}')[0] == 200


def test_connected_page_keeps_its_kernel_until_idle(clean_dir, model_dir):
    """A page with its websocket open keeps its kernel when a curl'd page's kernel is shut down; once idle for
    --idle-minutes it is culled too."""
    import asyncio
    from tornado.websocket import websocket_connect
    with app_server(clean_dir, model_dir, '--idle-minutes', 1.5) as (url, proc):
        assert status_of(url)[0] == 200   # no websocket: an orphan
        code, page = status_of(url)
        kid = re.search(r'"kernelId": *"([^"]+)"', page).group(1)
        assert code == 200 and health(url)['in_use'] == 2

        async def visit():
            ws = await websocket_connect(f'ws://127.0.0.1:{url.split(":")[2].strip("/")}/api/kernels/{kid}/channels')
            orphan_gone = await asyncio.to_thread(wait_until, lambda: health(url)['in_use'] <= 1, 180)
            still_there = _kernel_alive(url, kid)
            culled = await asyncio.to_thread(wait_until, lambda: not _kernel_alive(url, kid), 400, 1)
            ws.close()
            return orphan_gone, still_there, culled
        assert asyncio.run(visit()) == (True, True, True)
