"""Title matching on the full catalogue: `names.Matcher` (the one matcher every face uses) next to the old API title
search (`queries._Names.match`, fuzz.ratio with a first-letter shortcut) and the naive way (WRatio over every title).

The fuzzy part (what an unknown title costs) is also timed alone: `_Keys.closest` / `_Keys.within` (a character-count
bound, a length band; rapidfuzz cdist, which releases the GIL) next to the scans they replaced (`process.extract` over
every key, which holds the GIL), with a check that both give the same answers.

Usage: .venv/bin/python bench/names.py CLEAN_DIR   (a clean folder built from reconstructed-full)
"""
from rapidfuzz.distance import Levenshtein
import random, sys, time
import numpy as np
from rapidfuzz import fuzz, process


def _lat(f, qs)->str:
    out = []
    for q in qs:
        t = time.perf_counter()
        f(q)
        out.append((time.perf_counter() - t) * 1e3)
    a = np.array(out)
    return f'p50 {np.percentile(a, 50):6.2f} ms  p99 {np.percentile(a, 99):6.2f} ms  max {a.max():6.1f} ms'


def main(clean_dir:str):
    from movierec.names import Matcher, normalize_name
    from movierec.queries import _Names
    from movierec.store import read_movies
    m = read_movies(clean_dir, ['title', 'vote_count'])
    titles, votes = m['title'].tolist(), m['vote_count'].fillna(0).to_numpy()
    t = time.perf_counter()
    mt = Matcher(titles, votes)
    built = time.perf_counter() - t
    old = _Names(np.array(titles, object), np.arange(len(titles)), 'x', order=-votes, weight=votes)
    rnd = random.Random(0)
    qs = []
    for k in rnd.sample(sorted(set(mt.norm) - {''}), 300):
        i = rnd.randrange(len(k))
        qs += [k[:max(1, i)], k[:i] + 'x' + k[i + 1:]]          # a prefix being typed, a one-letter typo
    qs += ['jumanjii', 'toy stroy', 'the', 'star wars', 'qwxzv', 'x' * 100_000, 'ab' * 50_000]
    print(f'{len(titles):,} titles; {len(qs)} queries (prefixes, one-letter typos, two 100k-character inputs); '
          f'Matcher built in {built:.2f} s')
    print('names.Matcher.suggest (prefix, then QRatio) ', _lat(lambda q: mt.suggest(q, 10), qs))
    print('names.Matcher.did_you_mean                  ', _lat(mt.did_you_mean, qs))
    print('old queries._Names.match (fuzz.ratio)        ', _lat(lambda q: old.match(q, 10), qs))
    print('naive: WRatio over every title, no cap       ', _lat(lambda q: process.extract(q, mt.norm, scorer=fuzz.WRatio,
                                                                                         limit=10), qs[:60]))
    keys, variants = mt._names, mt._variants
    qn = [q for q in (normalize_name(x)[:200] for x in qs) if q]
    scan = lambda q: [(k, s) for k, s, _ in process.extract(q, keys.keys, scorer=fuzz.QRatio, limit=30, score_cutoff=50)]
    typo = lambda q: [(k, int(d)) for k, d, _ in process.extract(q, variants.keys, scorer=Levenshtein.distance,
                                                                 limit=50, score_cutoff=2)]
    print('fuzzy part: _Keys.closest (bound, then cdist)   ', _lat(lambda q: keys.closest(q, 30), qn))
    print('  before: process.extract QRatio, every key     ', _lat(scan, qn))
    print('fuzzy part: _Keys.within (length band)          ', _lat(lambda q: variants.within(q, 2, 50), qn))
    print('  before: process.extract Levenshtein, every key', _lat(typo, qn))
    same = all(keys.closest(q, 30) == scan(q) and variants.within(q, 2, 50) == typo(q) for q in qn[::7])
    print(f'same answers as the scans on {len(qn[::7])} texts: {same}')
    for q in ('jumanjii', 'toy stroy'):
        print(f'{q!r}: Matcher {[mt.titles[r] for r, _ in mt.suggest(q, 3)]}; '
              f'old API {[old.display[k] for k, _ in old.match(q, 3)]}')


if __name__ == '__main__': main(sys.argv[1])
