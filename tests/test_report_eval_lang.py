"""`movierec report evaluation -p lang=es|en` (issue 12): the evaluation report on the kaggle-sample in Spanish has
Spanish headings (none English), no English sentence of the catalogue, Spanish numbers; the English one still builds
and says the same in English."""
import html, json, re, string, time
from pathlib import Path
import pandas as pd
import pytest
from conftest import movierec
from movierec.i18n import LANGS, t, catalog_keys, fmt_number


@pytest.fixture(scope='module')
def pages(clean_dir, model_dir, tmp_path_factory):
    "lang -> the HTML of the evaluation report built by the CLI in that language."
    out = tmp_path_factory.mktemp('eval_reports')
    fp = json.loads((Path(clean_dir)/'manifest.json').read_text())['fingerprint'][:12]
    res = {}
    for lang in LANGS:
        t0 = time.perf_counter()
        movierec('report', 'evaluation', '-p', f'lang={lang}', '--clean-dir', clean_dir, '--model-dir', model_dir,
                 '--out', out)
        print(f'\nmovierec report evaluation -p lang={lang} on kaggle-sample: {time.perf_counter() - t0:.1f} s (wall, CLI)')
        res[lang] = (out/fp/f'evaluation__lang={lang}.html').read_text()
    return res


def _text(page:str) -> str:
    "The visible text of a report page (tags, styles and scripts dropped, entities decoded, spaces collapsed)."
    body = re.sub(r'<(style|script)\b.*?</\1>', ' ', page, flags=re.S)
    return re.sub(r'[ \t\r\n]+', ' ', html.unescape(re.sub(r'<[^>]+>', ' ', body)))   # no-break spaces kept


def _headings(page:str) -> list:
    "The h1-h3 headings of a page, without the anchor links."
    found = re.findall(r'<h[123][^>]*>(.*?)</h[123]>', page, flags=re.S)
    return [html.unescape(re.sub('<[^>]+>', '', h)).replace('¶', '').strip() for h in found]


def _heading_texts(lang:str) -> set:
    return {t(k, lang) for k in catalog_keys(lang) if k == 'eval.title' or k.startswith('eval.h.')}


def _fragments(lang:str) -> set:
    "The fixed pieces (12+ characters with letters) of `lang`'s eval.* messages, between placeholders and Markdown marks."
    out = set()
    for key in catalog_keys(lang):
        if key.startswith('eval.'):
            text = t(key, lang, **{f: '{}' for f in _fields(key, lang)})
            out |= {p.strip() for p in re.split(r'\{\}|[*`]', text) if len(p.strip()) >= 12 and re.search('[a-z]', p)}
    return out


def _fields(key:str, lang:str) -> set:
    "The placeholders of message `key` in `lang`."
    from movierec.i18n import _text
    return {name for _, name, _, _ in string.Formatter().parse(_text(key, lang, None)) if name}


def _check(page:str):
    assert 'Traceback' not in page and 'jp-OutputArea-error' not in page
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page, 'the report printed warnings or errors'


def test_spanish_evaluation_report(pages, clean_dir):
    page = pages['es']
    _check(page)
    assert '<html lang="es">' in page
    headings = _headings(page)
    assert set(headings) == _heading_texts('es'), headings
    assert not set(headings) & _heading_texts('en'), headings
    text = _text(page)
    english = sorted(f for f in _fragments('en') - _fragments('es') if f in text)
    assert not english, f'English sentences in the Spanish report: {english}'
    n = len(pd.read_parquet(Path(clean_dir)/'movies.parquet', columns=['id']))
    assert f'{fmt_number(n, "es")} películas' in text and '.' in fmt_number(n, 'es')   # 2.993
    cells = re.findall(r'<td[^>]*>\s*([^<]*?)\s*</td>', page)
    assert sum(bool(re.fullmatch(r'[+-]?\d,\d{3}', c)) for c in cells) >= 20, cells[:20]   # 0,878
    assert not [c for c in cells if re.fullmatch(r'[+-]?\d\.\d{3}', c)], 'decimal points in a Spanish table'
    assert re.search(r'responde al \d+\xa0%', text)   # Spanish percent style
    assert page.count('<img') >= 2 and 'data:image/png;base64,' in page   # the figures are there


def test_english_evaluation_report(pages, clean_dir):
    page = pages['en']
    _check(page)
    assert '<html lang="en">' in page
    assert set(_headings(page)) == _heading_texts('en')
    text = _text(page)
    spanish = sorted(f for f in _fragments('es') - _fragments('en') if f in text)
    assert not spanish, f'Spanish sentences in the English report: {spanish}'
    n = len(pd.read_parquet(Path(clean_dir)/'movies.parquet', columns=['id']))
    assert f'{n:,} movies' in text and 'películas' not in text
    assert re.search(r'<td[^>]*>\s*0\.\d{3}\s*</td>', page)


def test_unknown_language_refused(clean_dir, model_dir, tmp_path):
    r = movierec('report', 'evaluation', '-p', 'lang=fr', '--clean-dir', clean_dir, '--model-dir', model_dir,
                 '--out', tmp_path, check=False)
    assert r.returncode != 0 and 'unknown language' in r.stderr and 'Traceback' not in r.stderr
    assert not list(tmp_path.rglob('*.html'))
