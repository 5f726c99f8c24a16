"""The analyst's workbench as processes: `make lab`'s command (JupyterLab on nbs/ with the data folders and the
"movierec" kernel, stopped with everything it started by Ctrl-C) and `make docs`'s (an offline site built from the
notebooks executed on the sample's data, opened in the real browser without a request leaving the machine)."""
import json, os, re, shutil, signal, socket, subprocess, sys, urllib.error, urllib.request
from pathlib import Path
from urllib.parse import urlsplit
import psutil, pytest
from conftest import ROOT, BIN, free_port, Output, family, is_kernel, wait_until, kill_all

PY = str(BIN/'python')
NBS = ROOT/'nbs'


def workbench(*args, **kw)->subprocess.Popen:
    "`python -m movierec.workbench ...` in a session of its own, output collected."
    return subprocess.Popen([PY, '-m', 'movierec.workbench', *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True, cwd=ROOT, **kw)


def api(url:str, method:str='GET', body:dict|None=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=120) as r: return json.loads(r.read())


def test_lab_lists_notebooks_and_kernel_then_stops_whole_tree(clean_dir, model_dir, tmp_path):
    port = free_port()
    proc = workbench('lab', '--port', port, '--clean-dir', clean_dir, '--model-dir', model_dir,
                     '--kernel-prefix', tmp_path/'prefix', '--nbs', NBS)
    out, seen = Output(proc), []
    try:
        assert out.wait_for('movierec lab: serving', 300), f'lab did not start (exit {proc.poll()}):\n{out.text}'
        m = re.search(r'serving (http://127\.0\.0\.1:\d+/)lab\?token=([0-9a-f]+)', out.text)
        assert m, out.text
        base, token = m.groups()
        assert base == f'http://127.0.0.1:{port}/'
        names = {c['name'] for c in api(f'{base}api/contents/?token={token}')['content']}
        assert {p.name for p in NBS.glob('*.ipynb')} <= names and {'reports', 'app'} <= names
        specs = api(f'{base}api/kernelspecs?token={token}')
        assert specs['default'] == 'movierec', specs['default']
        assert specs['kernelspecs']['movierec']['spec']['argv'][0] == sys.executable
        with pytest.raises(urllib.error.HTTPError) as e: api(f'{base}api/contents/')   # no token, no access
        assert e.value.code == 403

        # a kernel of the 'movierec' spec runs with the data folders in its environment
        kid = api(f'{base}api/kernels?token={token}', 'POST', {'name': 'movierec'})['id']
        kernels = lambda: [p for p in family(proc.pid) if is_kernel(p) and kid in ' '.join(p.cmdline())]
        assert wait_until(lambda: kernels(), 300), 'the kernel did not start'
        env = kernels()[0].environ()
        assert (env['MOVIEREC_CLEAN_DIR'], env['MOVIEREC_MODEL_DIR']) == (str(clean_dir), str(model_dir))
        seen = family(proc.pid)
        assert len(seen) >= 3   # workbench, JupyterLab, the kernel

        # Ctrl-C: everything started goes, the port is free again
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(180)
        _, alive = psutil.wait_procs(seen, timeout=120)
        assert not alive, f'left running after Ctrl-C: {[" ".join(p.cmdline()) for p in alive]}'
        assert 'stopping JupyterLab and its kernels' in out.text
        with socket.socket() as s: assert s.connect_ex(('127.0.0.1', port)) != 0
    finally:
        if proc.poll() is None: os.killpg(proc.pid, signal.SIGKILL)
        kill_all(seen + family(proc.pid))
        proc.wait(30)


def test_lab_refuses_a_busy_port(tmp_path):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        proc = workbench('lab', '--port', s.getsockname()[1], '--kernel-prefix', tmp_path)
        text, _ = proc.communicate(timeout=300)
    assert proc.returncode == 2, text
    assert text.startswith('error: port') and 'in use' in text and 'Traceback' not in text
    assert not (tmp_path/'share').exists()   # refused before anything was set up


# --- make docs -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def site(clean_dir, model_dir, tmp_path_factory):
    "The docs of every notebook, built once by `make docs`'s command on the sample's data."
    out = tmp_path_factory.mktemp('docs')/'_docs'
    proc = workbench('docs', '--clean-dir', clean_dir, '--model-dir', model_dir, '--out', out)
    try: text, _ = proc.communicate(timeout=1800)
    finally:
        if proc.poll() is None: os.killpg(proc.pid, signal.SIGKILL)
        kill_all(family(proc.pid))
    assert proc.returncode == 0, text
    return out


def chapter_names()->list[str]: return sorted(p.stem for p in NBS.glob('[0-9]*.ipynb'))


def test_docs_page_per_notebook_with_outputs(site):
    from movierec.workbench import remote_assets
    pages = {p.stem: p.read_text() for p in site.glob('*.html')}
    assert set(chapter_names()) | {'index', 'templates', 'reports-eda', 'app-recommender'} <= set(pages)
    for name in chapter_names():
        html = pages[name]
        assert 'jp-OutputArea-output' in html, f'{name}: no rendered output'
        printed = ' '.join(re.findall(r'data-mime-type="application/vnd\.jupyter\.std(?:out|err)"[^>]*>(.*?)</div>', html, re.S))
        assert 'Traceback (most recent call last)' not in printed, f'{name}: a traceback is shown'
        code = ' '.join(re.findall(r'<span class="c1">(#\|[^<]*)</span>', html))
        assert code == '', f'{name}: directives shown in code: {code[:200]}'
    for name, html in pages.items(): assert remote_assets(html) == [], f'{name}: {remote_assets(html)}'
    # show_doc blocks: the signature and docstring of an exported function
    assert 'lab_cli' in pages['13_workbench'] and 'JupyterLab on the notebooks' in pages['13_workbench']
    # the index lists every chapter in order, with its summary
    index = pages['index']
    where = [index.index(f'href="{n}.html"') for n in chapter_names()]
    assert where == sorted(where)
    assert 'Start, watch and stop the processes' in index or '11_supervise' not in chapter_names()


def test_docs_fail_naming_notebook_and_cell(tmp_path):
    import nbformat
    nbs = tmp_path/'nbs'
    nbs.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('# broken\n> Fails.'),
                                         nbformat.v4.new_code_cell('x = 1'), nbformat.v4.new_code_cell('x/0')])
    nbformat.write(nb, nbs/'00_broken.ipynb')
    proc = workbench('docs', '--nbs', nbs, '--out', tmp_path/'_docs', '--clean-dir', tmp_path, '--model-dir', tmp_path)
    text, _ = proc.communicate(timeout=600)
    assert proc.returncode != 0
    assert "00_broken.ipynb: cell 2 ('x/0') failed" in text and 'ZeroDivisionError' in text
    assert not list((tmp_path/'_docs').glob('*.html'))   # nothing half-built


def test_docs_in_browser_stay_on_the_machine(site):
    chromium = shutil.which('chromium') or ('/usr/bin/chromium' if os.path.exists('/usr/bin/chromium') else None)
    if chromium is None:
        if os.environ.get('MOVIEREC_REQUIRE_BROWSER') == '1': pytest.fail('chromium is not installed')
        pytest.skip('chromium is not installed (apt-get install chromium)')
    from playwright.sync_api import sync_playwright
    args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync']
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=args)
        try:
            page = b.new_page()
            requests, errors = [], []
            page.on('request', lambda r: requests.append(r.url))
            page.on('pageerror', lambda e: errors.append(str(e)))
            page.goto((site/'index.html').as_uri(), wait_until='load', timeout=60000)
            assert page.locator('a[href="03_recommend.html"]').count() == 1
            page.click('a[href="03_recommend.html"]')
            page.wait_for_load_state('load', timeout=60000)
            assert page.url.endswith('03_recommend.html')
            assert page.locator('.jp-OutputArea-output').count() > 0
            assert page.locator('.jp-RenderedMarkdown h3').count() > 0   # show_doc blocks, rendered
        finally: b.close()
    leaving = [u for u in requests if urlsplit(u).scheme not in ('file', 'data', 'about', 'blob')]
    assert leaving == [], leaving
    assert errors == [], errors
