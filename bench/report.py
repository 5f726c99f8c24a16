"""Time the EDA report on clean data folders: `movierec report eda` in English and in Spanish (stages: parameter
checks, kernel + execution, HTML export) next to the naive `jupyter nbconvert --execute --to html` of the same template.

usage: python bench/report.py --clean-dir DIR [--clean-dir DIR ...] [--repeat N]   (build them with `movierec etl`)
Prints wall time (median of N runs, languages alternated so machine load hits both alike), peak memory of the whole
process tree (runner + kernel), HTML size and remote asset references; then the Spanish/English time ratio."""
import argparse, os, re, resource, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REMOTE = re.compile(r'<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["\']?\s*(?:https?:)?//', re.I)


def _children_cpu()->float:
    "CPU seconds (user + system) of every waited-for descendant so far (the kernel included: its runner reaps it)."
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_measured(cmd, env=None, cwd=None):
    "(seconds, peak RSS MB of the process tree, stdout) of `cmd`; its CPU seconds in `run_measured.cpu`."
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    p = psutil.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, stop = [0], threading.Event()
    def poll():
        while not stop.is_set():
            try:
                procs = [p] + p.children(recursive=True)
                peak[0] = max(peak[0], sum(q.memory_info().rss for q in procs if q.is_running()))
            except psutil.Error: pass
            time.sleep(.05)
    th = threading.Thread(target=poll, daemon=True); th.start()
    out, err = p.communicate(); stop.set(); th.join()
    if p.returncode: sys.exit(f'{cmd[:3]} failed:\n{err[-2000:]}')
    run_measured.cpu = _children_cpu() - cpu0
    return time.perf_counter() - t0, peak[0] / 2**20, out


def stages(clean_dir):
    "Stage times of the runner, in-process."
    from movierec import reports
    import nbformat
    t0 = time.perf_counter(); tpl, p, spec = reports.prepare('eda', {}, clean_dir=clean_dir); t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        reports.execute_notebook(tpl, Path(d)/'x.ipynb', p); t2 = time.perf_counter()
        reports.notebook_html(nbformat.read(Path(d)/'x.ipynb', as_version=4), 'eda'); t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def by_language(cd:Path, repeat:int)->dict:
    "{lang: (median seconds, peak MB, html path size MB, remote refs)} of `movierec report eda --lang`, alternated."
    times, cpus, peaks, html = {'en': [], 'es': []}, {'en': [], 'es': []}, {'en': 0., 'es': 0.}, {}
    with tempfile.TemporaryDirectory() as d:
        for _ in range(repeat):
            for lang in ('en', 'es'):
                s, mb, _ = run_measured([str(BIN/'movierec'), 'report', 'eda', '--lang', lang, '--clean-dir', str(cd),
                                         '--out', d])
                times[lang].append(s)
                cpus[lang].append(run_measured.cpu)
                peaks[lang] = max(peaks[lang], mb)
        for lang in ('en', 'es'):
            page = next(Path(d).glob(f'*/eda__lang={lang}.html'))
            html[lang] = (page.stat().st_size/2**20, len(REMOTE.findall(page.read_text())))
    return {lang: (statistics.median(times[lang]), statistics.median(cpus[lang]), peaks[lang], *html[lang])
            for lang in ('en', 'es')}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--clean-dir', action='append', required=True)
    ap.add_argument('--repeat', type=int, default=3, help='runs per language (median reported)')
    a = ap.parse_args()
    print(f"{'clean data':<34} {'way':<34} {'time s':>7} {'peak MB':>8} {'html MB':>8} {'remote refs':>11}")
    for cd in a.clean_dir:
        cd = Path(cd).resolve()
        import pandas as pd
        n = len(pd.read_parquet(cd/'movies.parquet', columns=['id']))
        label = f'{cd.name} ({n:,} movies)'
        res = by_language(cd, a.repeat)
        for lang, (s, cpu, mb, size, refs) in res.items():
            way = f'movierec report eda --lang {lang}'
            print(f"{label if lang == 'en' else '':<34} {way:<34} {s:7.1f} {mb:8.0f} {size:8.2f} {refs:11d}"
                  f"   (CPU {cpu:.1f} s)")
        print(f"{'':<34} {'Spanish / English: wall, CPU':<34} {res['es'][0] / res['en'][0]:7.2f}"
              f"   {res['es'][1] / res['en'][1]:.2f}")
        with tempfile.TemporaryDirectory() as d:
            s, mb, _ = run_measured([str(BIN/'jupyter'), 'nbconvert', '--execute', '--to', 'html', '--output-dir', d, '--output', 'naive',
                                     str(ROOT/'nbs'/'reports'/'eda.ipynb')], env={'MOVIEREC_CLEAN_DIR': str(cd)})
            html = Path(d)/'naive.html'
            print(f"{'':<34} {'naive: jupyter nbconvert --execute':<34} {s:7.1f} {mb:8.0f} {html.stat().st_size/2**20:8.2f} {len(REMOTE.findall(html.read_text())):11d}")
        v, x, h = stages(cd)
        print(f"{'':<34} stages: checks {v:.2f} s, kernel + cells {x:.1f} s, HTML export {h:.2f} s")


if __name__ == '__main__': main()
