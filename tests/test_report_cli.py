"""`movierec report`: the EDA report on the kaggle-sample clean data, parameter checks before execution,
failing cells, the index of reports, and the evaluation report when its template exists."""
import json, re, shutil, sys, time
from pathlib import Path
import pandas as pd
import pytest
from conftest import movierec, ROOT, BIN

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
    runs = {}
    for key, args, env in [('defaults', [], None), ('comedy', ['-p', 'genre=comedy', '-p', 'year_min=1990'], {'JUPYTER_PATH': str(jp)})]:
        t0 = time.perf_counter()
        runs[key] = movierec('report', 'eda', *args, '--clean-dir', clean_dir, '--out', out, env=env)
        print(f'\nmovierec report eda {" ".join(args)} on kaggle-sample clean data: {time.perf_counter() - t0:.1f} s (wall, CLI)')
    return out, runs


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
    html, nb = out/'eda__defaults.html', out/'eda__defaults.ipynb'
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
    page = (out/'eda__genre-Comedy__year_min-1990.html').read_text()   # canonical genre spelling in the name
    _check_page(page)
    m = pd.read_parquet(Path(clean_dir)/'movies.parquet', columns=['release_year', 'genres'])
    n = int(((m.release_year >= 1990) & m.genres.map(lambda g: 'Comedy' in list(g))).sum())
    assert 0 < n < len(m)
    assert f'of genre <strong>Comedy</strong>: <strong>{n:,}</strong> of them' in page
    assert "genre='Comedy'" in page and 'year_min=1990' in page
    _check_kernel(page)   # even with a python3 kernelspec on JUPYTER_PATH pointing elsewhere


def test_index_lists_reports(reports):
    out, _ = reports
    index = (out/'index.html').read_text()
    reg = json.loads((out/'reports.json').read_text())
    assert set(reg) == {'eda__defaults', 'eda__genre-Comedy__year_min-1990'}
    for stem, e in reg.items():
        assert e['status'] == 'ok' and (out/e['html']).is_file() and (out/e['ipynb']).is_file()
        assert f'href="{stem}.html"' in index and e['created'] in index
    assert 'genre=Comedy, year_min=1990' in index
    assert REMOTE.findall(index) == []


def test_empty_selection_is_reported(clean_dir, tmp_path):
    m = pd.read_parquet(Path(clean_dir)/'movies.parquet', columns=['vote_count'])
    movierec('report', 'eda', '-p', f'min_votes={m.vote_count.max() + 1}', '--clean-dir', clean_dir, '--out', tmp_path)
    page = (tmp_path/f'eda__min_votes-{m.vote_count.max() + 1}.html').read_text()
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
    assert "report 'eda' failed in cell [" in r.stderr and "KeyError" in r.stderr and 'Traceback' not in r.stderr
    failed = out/'eda__defaults.failed.ipynb'
    assert f'partial notebook: {failed}' in r.stderr and failed.is_file()
    assert not (out/'eda__defaults.html').exists() and not (out/'eda__defaults.ipynb').exists()
    assert not list(out.glob('.*.running.ipynb'))
    reg = json.loads((out/'reports.json').read_text())
    assert reg['eda__defaults']['status'] == 'failed' and 'KeyError' in (out/'index.html').read_text()


def test_evaluation_report(clean_dir, model_dir, tmp_path):
    if not (ROOT/'nbs'/'reports'/'evaluation.ipynb').is_file(): pytest.skip('no evaluation template yet (nbs/reports/evaluation.ipynb)')
    r = movierec('report', 'evaluation', '--clean-dir', clean_dir, '--model-dir', model_dir, '--out', tmp_path)
    page = (tmp_path/'evaluation__defaults.html').read_text()
    _check_page(page, figures=False)
    assert 'evaluation__defaults.html' in (tmp_path/'index.html').read_text()
    r = movierec('report', 'evaluation', '-p', 'k=0', '--clean-dir', clean_dir, '--model-dir', model_dir, '--out', tmp_path, check=False)
    assert r.returncode != 0 and 'k must be at least 1' in r.stderr


def test_evaluation_k_beyond_model_rejected_before_running(clean_dir, model_dir, tmp_path):
    t0 = time.perf_counter()
    r = movierec('report', 'evaluation', '-p', 'k=999', '--clean-dir', clean_dir, '--model-dir', model_dir, '--out', tmp_path/'out', check=False)
    assert r.returncode != 0 and 'k must be between 1 and 50' in r.stderr and 'got 999' in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr and not (tmp_path/'out').exists()   # refused before any kernel or output
    assert time.perf_counter() - t0 < 60
