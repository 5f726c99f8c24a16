"""`movierec report`: the EDA report on the kaggle-sample clean data in English and Spanish, parameter checks before
execution, failing cells, the index of reports grouped by template and parameters, reports of two clean folders side
by side, nothing left behind by a stopped or killed run, and the evaluation report."""
import json, os, re, shutil, signal, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd
import psutil
import pytest
from conftest import movierec, ROOT, BIN, family, is_kernel, wait_until, kill_all
from movierec.i18n import t, catalog_keys, fmt_number, fmt_date

REMOTE = re.compile(r'<(?:script|link|img|iframe|source|embed)\b[^>]*?\b(?:src|href)\s*=\s*["\']?\s*(?:https?:)?//', re.I)
# figures of the EDA template: quarantine (when rows were quarantined), missing values, 7 distributions,
# 3 release charts, 5 top-N charts, 3 relationships, word cloud + synopsis terms
FIXED_FIGURES = 1 + 7 + 3 + 5 + 3 + 2


@pytest.fixture(scope='module')
def reports(clean_dir, tmp_path_factory):
    "One output folder holding the default EDA report and a filtered one, with their CLI runs."
    out = tmp_path_factory.mktemp('reports')
    # a user-level `python3` kernelspec pointing at a Python that does not exist must not matter
    jp = tmp_path_factory.mktemp('jupyter'); (jp/'kernels'/'python3').mkdir(parents=True)
    (jp/'kernels'/'python3'/'kernel.json').write_text(json.dumps(
        {'argv': ['/nonexistent/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'], 'display_name': 'elsewhere', 'language': 'python'}))
    # the same data under another fingerprint: its reports must not overwrite the first ones
    other = tmp_path_factory.mktemp('other')/'clean'
    shutil.copytree(clean_dir, other)
    man = json.loads((other/'manifest.json').read_text())
    (other/'manifest.json').write_text(json.dumps({**man, 'fingerprint': 'f' * 64}))
    runs = {}
    for key, args, cd, env in [('defaults', [], clean_dir, None),
                               ('comedy', ['-p', 'genre=comedy', '-p', 'year_min=1990'], clean_dir, {'JUPYTER_PATH': str(jp)}),
                               ('es', ['--lang', 'es'], clean_dir, None),
                               ('other', [], other, None)]:
        t0 = time.perf_counter()
        runs[key] = movierec('report', 'eda', *args, '--clean-dir', cd, '--out', out, env=env)
        print(f'\nmovierec report eda {" ".join(args)} on kaggle-sample clean data: {time.perf_counter() - t0:.1f} s (wall, CLI)')
    return out, runs


def _data(clean_dir):
    "The report subfolder of a clean folder: its fingerprint's short form."
    return json.loads((Path(clean_dir)/'manifest.json').read_text())['fingerprint'][:12]


def _check_page(page:str, figures:bool=True):
    assert 'Traceback' not in page and 'jp-OutputArea-error' not in page
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page, 'the report printed warnings or errors'
    code_cells = re.findall(r'class="jp-Cell jp-CodeCell[^"]*"', page)
    assert code_cells and all('jp-mod-noInput' in c for c in code_cells), 'code cells leaked into the HTML'
    assert 'class="highlight' not in page and 'load_eda_data(' not in page, 'code leaked into the HTML'
    assert REMOTE.findall(page) == [], 'the HTML would fetch assets from the network'
    imgs = re.findall(r'<img\b[^>]*\bsrc="([^"]{0,30})', page)
    assert (imgs or not figures) and all(s.startswith('data:image/png;base64,') for s in imgs), 'figures must be embedded'
    return len(imgs)


def test_eda_report_defaults(reports, clean_dir):
    out, runs = reports
    html, nb = out/_data(clean_dir)/'eda__lang=en.html', out/_data(clean_dir)/'eda__lang=en.ipynb'
    assert html.is_file() and nb.is_file()
    assert str(html) in runs['defaults'].stdout and 'written in' in runs['defaults'].stdout
    page = html.read_text()
    quarantined = len(pd.read_parquet(Path(clean_dir)/'quarantine.parquet', columns=['reason'])) > 0
    assert _check_page(page) == FIXED_FIGURES + quarantined
    movies = pd.read_parquet(Path(clean_dir)/'movies.parquet', columns=['release_year', 'genres'])
    assert f'<strong>{len(movies):,} movies</strong>' in page
    assert f'released from {movies.release_year.min()} to {movies.release_year.max()}' in page
    # one finding per figure at least: every <img> is followed by a rendered Markdown block before the next <img>
    for chunk in page.split('<img')[1:]:
        assert 'jp-RenderedMarkdown' in chunk.split('<img')[0]
    _check_kernel(page)


def _check_kernel(page):
    "The kernel ran with this environment's interpreter."
    exe = re.search(r'with Python [\d.]+ \(<code>([^<]+)</code>\)', page).group(1)
    assert Path(exe).parent == BIN, f'report ran with {exe}, not the project environment in {BIN}'


def test_eda_report_genre_filter(reports, clean_dir):
    out, runs = reports
    page = (out/_data(clean_dir)/'eda__genre=Comedy__lang=en__year_min=1990.html').read_text()   # canonical genre spelling
    _check_page(page)
    m = pd.read_parquet(Path(clean_dir)/'movies.parquet', columns=['release_year', 'genres'])
    n = int(((m.release_year >= 1990) & m.genres.map(lambda g: 'Comedy' in list(g))).sum())
    assert 0 < n < len(m)
    assert f'of genre <strong>Comedy</strong>: <strong>{n:,}</strong> of them' in page
    assert "genre='Comedy'" in page and 'year_min=1990' in page
    _check_kernel(page)   # even with a python3 kernelspec on JUPYTER_PATH pointing elsewhere


def test_index_lists_reports(reports, clean_dir):
    out, _ = reports
    index = (out/'index.html').read_text()
    reg = json.loads((out/'reports.json').read_text())
    d = _data(clean_dir)
    assert set(reg) == {f'{d}/eda__lang=en', f'{d}/eda__genre=Comedy__lang=en__year_min=1990', f'{d}/eda__lang=es',
                        'ffffffffffff/eda__lang=en'}
    for stem, e in reg.items():
        assert e['status'] == 'ok' and (out/e['html']).is_file() and (out/e['ipynb']).is_file()
        assert f'href="{stem}.html"' in index and e['created'][11:16] in index
    assert 'genre=Comedy, year_min=1990, lang=en' in index
    assert REMOTE.findall(index) == []


def test_index_groups_by_template_and_parameters(reports, clean_dir):
    "One heading per parameter set, its runs newest first with the data's fingerprint; a Spanish index beside it."
    out, _ = reports
    index = (out/'index.html').read_text()
    groups = re.findall(r'<h3>(.*?)</h3>', index)
    assert len(groups) == len(set(groups)) == 3, groups   # lang=en (two data folders), comedy, lang=es
    assert groups[0] == 'lang=en'   # the group of the newest run comes first
    en_group = index.split('<h3>lang=en</h3>')[1].split('<h3>')[0]
    assert en_group.index('ffffffffffff') < en_group.index(_data(clean_dir))   # newest run first inside the group
    es = (out/'index.es.html').read_text()
    assert '<html lang="es">' in es and t('index.title', 'es') in es and 'href="index.html"' in es
    assert t('index.col.generated', 'es') in es and t('index.col.generated', 'en') not in es
    assert REMOTE.findall(es) == []


def test_same_parameters_on_other_data_do_not_overwrite(reports, clean_dir):
    out, runs = reports
    a, b = out/_data(clean_dir)/'eda__lang=en.html', out/'ffffffffffff'/'eda__lang=en.html'
    assert a.is_file() and b.is_file() and str(b) in runs['other'].stdout
    assert 'ffffffffffff' in b.read_text() and 'ffffffffffff' not in a.read_text()


_EN_ONLY = re.compile(r'\b(the|of|and|movies|released|Distribution|Releases|Words|Relationships|report)\b')


def test_spanish_report(reports, clean_dir):
    "A Spanish report: Spanish headings (none English), Spanish numbers and dates, the language in name and page."
    out, runs = reports
    page = (out/_data(clean_dir)/'eda__lang=es.html').read_text()
    _check_page(page)
    assert '<html lang="es">' in page
    headings = [re.sub('<[^>]+>', '', h).replace('¶', '').strip() for h in re.findall(r'<h[12][^>]*>(.*?)</h[12]>', page)]
    en = {t(k, 'en') for k in catalog_keys('en') if k.startswith(('eda.h.', 'eda.title'))}
    es = {t(k, 'es') for k in catalog_keys('es') if k.startswith(('eda.h.', 'eda.title'))}
    assert set(headings) == es and not set(headings) & en, headings
    for h in headings:
        assert not _EN_ONLY.search(h), h
    movies = pd.read_parquet(Path(clean_dir)/'movies.parquet', columns=['id'])
    assert f'<strong>{fmt_number(len(movies), "es")} películas</strong>' in page and '.' in fmt_number(len(movies), 'es')
    assert re.search(r'Generado el \d{1,2} de [a-z]+ de \d{4} a las \d\d:\d\d UTC', page)   # fmt_date in Spanish
    assert re.search(r'la mediana es \d+(,\d)?\xa0M\xa0US\$', page)   # Babel's compact money, decimal comma
    assert 'con Python' in page and str(BIN) in page
    # the English page of the same data says the same in English
    en_page = (out/_data(clean_dir)/'eda__lang=en.html').read_text()
    assert f'<strong>{len(movies):,} movies</strong>' in en_page and 'películas' not in en_page


def test_empty_selection_is_reported(clean_dir, tmp_path):
    m = pd.read_parquet(Path(clean_dir)/'movies.parquet', columns=['vote_count'])
    movierec('report', 'eda', '-p', f'min_votes={m.vote_count.max() + 1}', '--clean-dir', clean_dir, '--out', tmp_path)
    page = (tmp_path/_data(clean_dir)/f'eda__lang=en__min_votes={m.vote_count.max() + 1}.html').read_text()
    assert 'No movie matches these filters' in page and '<strong>0</strong> of them' in page
    quarantined = len(pd.read_parquet(Path(clean_dir)/'quarantine.parquet', columns=['reason'])) > 0
    assert _check_page(page) == 1 + quarantined   # only the catalogue-wide quality figures remain


@pytest.mark.parametrize('args, message', [
    (['-p', 'year_mni=1990'], "unknown parameter 'year_mni'"),
    (['-p', 'year_min=2000', '-p', 'year_max=1990'], 'year_min=2000 is after year_max=1990'),
    (['-p', 'genre=Comedi'], "unknown genre 'Comedi'"),
    (['-p', 'year_min=abc'], "year_min expects an int, got 'abc'"),
    (['-p', 'top_n=0'], 'top_n must be at least 1'),
    (['-p', 'year_min'], 'write -p name=value'),
    (['-p', 'lang=fr'], "unknown language 'fr': choose one of es, en"),
    (['--lang', 'xx'], "unknown language 'xx'"),
])
def test_bad_parameters_rejected_before_running(clean_dir, tmp_path, args, message):
    t0 = time.perf_counter()
    r = movierec('report', 'eda', *args, '--clean-dir', clean_dir, '--out', tmp_path/'out', check=False)
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr
    assert not list((tmp_path/'out').glob('*.ipynb')) if (tmp_path/'out').exists() else True
    assert time.perf_counter() - t0 < 60   # no kernel was started (a generous bound, not a benchmark)


def test_hints_and_unknown_report(clean_dir, tmp_path):
    r = movierec('report', 'eda', '-p', 'genre=Comedi', '--clean-dir', clean_dir, '--out', tmp_path, check=False)
    assert '  - Comedy' in r.stderr
    r = movierec('report', 'edaa', '--out', tmp_path, check=False)
    assert r.returncode != 0 and "unknown report 'edaa'" in r.stderr and '  - eda' in r.stderr
    r = movierec('report', 'eda', '--clean-dir', tmp_path/'nowhere', '--out', tmp_path, check=False)
    assert r.returncode != 0 and 'run `movierec etl`' in r.stderr


def test_list_shows_parameters():
    r = movierec('report', '--list')
    assert 'eda' in r.stdout and '-p genre=<str>' in r.stdout and '-p year_min=<int>' in r.stdout


def test_failing_cell_keeps_partial_notebook(clean_dir, tmp_path):
    bad = tmp_path/'clean'; shutil.copytree(clean_dir, bad)
    m = pd.read_parquet(bad/'movies.parquet')
    m.drop(columns=['runtime']).to_parquet(bad/'movies.parquet')   # a column the report needs is gone
    out = tmp_path/'out'
    r = movierec('report', 'eda', '--clean-dir', bad, '--out', out, check=False)
    assert r.returncode == 1, r.stderr
    assert "report 'eda' failed in cell [" in r.stderr and 'Traceback' not in r.stderr
    assert 'movies.parquet is not the file its manifest records' in r.stderr   # movierec.store checks the checksum
    d = out/_data(bad)
    failed = d/'eda__lang=en.failed.ipynb'
    assert f'partial notebook: {failed}' in r.stderr and failed.is_file()
    assert not (d/'eda__lang=en.html').exists() and not (d/'eda__lang=en.ipynb').exists()
    assert not list(out.rglob('.*.running.ipynb'))
    reg = json.loads((out/'reports.json').read_text())
    assert reg[f'{d.name}/eda__lang=en']['status'] == 'failed' and 'MovierecError' in (out/'index.html').read_text()


def test_evaluation_report(clean_dir, model_dir, tmp_path):
    if not (ROOT/'nbs'/'reports'/'evaluation.ipynb').is_file(): pytest.skip('no evaluation template yet (nbs/reports/evaluation.ipynb)')
    r = movierec('report', 'evaluation', '--clean-dir', clean_dir, '--model-dir', model_dir, '--out', tmp_path)
    html = next((tmp_path/_data(clean_dir)).glob('evaluation__*.html'))   # __defaults, or __lang=en once it has lang
    _check_page(html.read_text(), figures=False)
    assert f'{_data(clean_dir)}/{html.name}' in (tmp_path/'index.html').read_text()
    r = movierec('report', 'evaluation', '-p', 'k=0', '--clean-dir', clean_dir, '--model-dir', model_dir, '--out', tmp_path, check=False)
    assert r.returncode != 0 and 'k must be at least 1' in r.stderr


def test_evaluation_k_beyond_model_rejected_before_running(clean_dir, model_dir, tmp_path):
    t0 = time.perf_counter()
    r = movierec('report', 'evaluation', '-p', 'k=999', '--clean-dir', clean_dir, '--model-dir', model_dir, '--out', tmp_path/'out', check=False)
    assert r.returncode != 0 and 'k must be between 1 and 50' in r.stderr and 'got 999' in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr and not (tmp_path/'out').exists()   # refused before any kernel or output
    assert time.perf_counter() - t0 < 60


@pytest.mark.parametrize('weights, message', [
    ('0;0.3;1', "genre_weights='0;0.3;1' is not a list of weights: write comma-separated numbers"),
    ('abc', 'e.g. -p genre_weights=0,0.3,1'),
    ('-1,2', 'out of range'),
])
def test_evaluation_genre_weights_checked_before_running(clean_dir, tmp_path, weights, message):
    if not (ROOT/'nbs'/'reports'/'evaluation.ipynb').is_file(): pytest.skip('no evaluation template')
    t0 = time.perf_counter()
    r = movierec('report', 'evaluation', '-p', f'genre_weights={weights}', '--clean-dir', clean_dir,
                 '--model-dir', tmp_path/'models', '--out', tmp_path/'out', check=False)
    assert r.returncode != 0 and message in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert not (tmp_path/'out').exists() and time.perf_counter() - t0 < 60


def _start_report(clean_dir, out):
    "`movierec report eda` in the background, with its run folder (kernel connection files) path."
    p = subprocess.Popen([str(BIN/'movierec'), 'report', 'eda', '--clean-dir', str(clean_dir), '--out', str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, 'MPLBACKEND': 'Agg'})
    return p, Path(tempfile.gettempdir())/f'movierec-report-{p.pid}'


def _kernels(procs):
    return [k for k in procs if is_kernel(k)]


@pytest.mark.parametrize('how', ['SIGTERM', 'SIGKILL'])
def test_stopped_or_killed_report_leaves_nothing(clean_dir, tmp_path, how):
    "No half-written notebook, no kernel, no connection file with keys: at exit, or (kill -9) at the next run."
    out = tmp_path/'out'
    p, run = _start_report(clean_dir, out)
    procs = []
    try:
        assert wait_until(lambda: list(out.rglob('.*.running.ipynb')) and _kernels(family(p.pid)), timeout=300), \
            p.stderr.read() if p.poll() is not None else 'the report never started its kernel'
        assert list(run.glob('kernel-*.json')), 'the connection file is in the run folder'
        procs = family(p.pid)
        p.send_signal(getattr(signal, how))
        p.wait(timeout=120)
        assert wait_until(lambda: not any(k.is_running() and k.status() != psutil.STATUS_ZOMBIE
                                          for k in _kernels(procs)), timeout=60), 'the kernel outlived its report'
        if how == 'SIGTERM':
            assert p.returncode != 0 and 'Traceback' not in p.stderr.read()
        else:   # nothing could run at exit: the next run (here its first step) removes what is left
            assert run.exists() or list(out.rglob('.*.running.ipynb'))
            from movierec.reports import clean_stale
            clean_stale(out)
        assert not run.exists() and not list(out.rglob('.*.running.ipynb')) and not list(out.rglob('*.html'))
    finally:
        kill_all(procs + family(p.pid))
