"The message catalogue: every key in both languages, same placeholders, whole plural entries, readable .po files."
import string
import pytest
from babel.messages.pofile import read_po
from movierec import i18n
from movierec.i18n import LANGS, GENRES, catalog_keys, po_path, t


def _entries(lang):
    "key -> list of the message strings (one, or one per plural form) of `lang`'s .po file, parsed strictly."
    with po_path(lang).open('rb') as f:
        cat = read_po(f, locale=lang, abort_invalid=True)
    out = {}
    for m in cat:
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        assert key not in out, f"{lang}: {key!r} appears twice"
        out[key] = list(m.string) if isinstance(m.string, tuple) else [m.string]
    return out


def _fields(text):
    return {name.split('.')[0].split('[')[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_in_every_language():
    keys = {lang: set(_entries(lang)) for lang in LANGS}
    for lang in LANGS:
        for other in LANGS:
            missing = sorted(keys[other] - keys[lang])
            assert not missing, f"missing in {po_path(lang)}: {missing}"


@pytest.mark.parametrize('lang', LANGS)
def test_each_key_once(lang):
    "A key written twice is silently overridden by its second copy: an edit to the first would not show."
    import re
    keys = re.findall(r'^msgid "(.+)"$', po_path(lang).read_text(), re.M)
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


@pytest.mark.parametrize('lang', LANGS)
def test_no_empty_message(lang):
    empty = [k for k, texts in _entries(lang).items() if not all(s.strip() for s in texts)]
    assert not empty, f"empty translations in {lang}: {empty}"


def test_same_placeholders_in_both_languages():
    es, en = _entries('es'), _entries('en')
    differ = {k: (_fields(' '.join(en[k])), _fields(' '.join(es[k]))) for k in en if k in es
              and _fields(' '.join(en[k])) != _fields(' '.join(es[k]))}
    assert not differ, f"placeholders differ (en, es): {differ}"
    reserved = [k for k in en if _fields(' '.join(en[k])) & {'key', 'lang'}]
    assert not reserved, f"placeholders named key or lang clash with t(key, lang): {reserved}"


def test_plural_entries_in_both_languages():
    es, en = _entries('es'), _entries('en')
    differ = [k for k in en if k in es and (len(en[k]) > 1) != (len(es[k]) > 1)]
    assert not differ, f"plural in one language only: {differ}"


@pytest.mark.parametrize('lang', LANGS)
def test_every_message_formats(lang):
    "Every message fills with dummy values (no stray braces, no unknown conversion)."
    for key, texts in _entries(lang).items():
        for text in texts:
            text.format(**{f: 'x' for f in _fields(text)})
        fields = _fields(' '.join(texts))
        assert t(key, lang, **{f: 2 if f == 'n' else 'x' for f in fields})


def test_genres_translated():
    assert all(f'genre.{g}' in catalog_keys(lang) for g in GENRES for lang in LANGS)
    assert len(set(i18n.genre_names('es').values())) == 20
    assert i18n.genre_name('Horror', 'es') == 'Terror'


def test_spanish_formats():
    assert i18n.fmt_number(1234.5, 'es') == '1.234,5'
    assert i18n.fmt_number(1234.5, 'en') == '1,234.5'
    assert i18n.fmt_date('2017-09-15', 'es') == '15 de septiembre de 2017'
    assert (i18n.month_name(9, 'es'), i18n.weekday_name(4, 'es')) == ('septiembre', 'viernes')


def test_eda_figures_speak_spanish():
    "Month and weekday ticks, axis labels, titles and legends of the report's figures follow `lang`."
    from movierec import eda
    toy = eda.toy_movies()
    fig = eda.plot_counts(eda.count_by(toy, 'release_month', 'es'), t('eda.fig.per_month', 'es'), lang='es')
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_xticklabels()] == ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago',
                                                           'sept', 'oct', 'nov', 'dic']
    assert ax.get_ylabel() == 'películas'
    days = eda.count_by(toy, 'release_weekday', 'es').index.tolist()
    assert days == ['lun', 'mar', 'mié', 'jue', 'vie', 'sáb', 'dom']
    fig = eda.plot_distribution(toy, 'runtime', label=t('eda.label.runtime', 'es'), lang='es')
    assert fig.axes[0].get_title() == 'Distribución de duración (minutos)'
    assert fig.axes[1].get_legend().get_texts()[0].get_text() == '1 valor atípico'
    assert eda.plot_corr(eda.corr_matrix(toy), 'es').axes[0].get_title() == 'Correlaciones de Spearman'
    assert (eda.human(2.5e6, money=True, lang='es'), eda.pct(.125, 'es')) == ('2,5\xa0M\xa0US$', '12\xa0%')
