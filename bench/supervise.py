"""Process supervision figures (issue 10), on the kaggle-sample:

- time from Ctrl-C / SIGTERM / SIGHUP / SIGKILL of `movierec pipeline --serve` to no process left (API, app, Voila,
  kernels), optionally with CPU burners running;
- peak memory and kernels of `movierec app` after N page loads that never open a websocket (a crawler, `curl`), and
  what is left after the culling period.

usage: python bench/supervise.py [--burners 2] [--loads 50] [--watch 90]
"""
import argparse, os, signal, subprocess, sys, tempfile, time, urllib.error, urllib.request
from pathlib import Path
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
from conftest import Output, family, is_kernel, wait_until, free_port   # noqa: E402

BIN = str(Path(sys.executable).parent/'movierec')
SAMPLE = ROOT.parent/'shared'/'data'/'movies-dataset'/'kaggle-sample'


def stop_time(sig, clean:Path, models:Path)->tuple[float, int, int]:
    "Seconds from `sig` to the pipeline's whole family gone; the family's size; how many were still alive at 120 s."
    api, app = free_port(), free_port()
    p = subprocess.Popen([BIN, 'pipeline', '--no-report', '--serve', '--raw-dir', str(SAMPLE), '--clean-dir', str(clean),
                          '--model-dir', str(models), '--api-port', str(api), '--app-port', str(app)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    out = Output(p)
    try:
        if not out.wait_for('Ctrl-C stops everything', 600): sys.exit(f'pipeline did not start:\n{out.text}')
        wait_until(lambda: any(is_kernel(k) for k in family(p.pid)), 300)
        kids = family(p.pid)
        t0 = time.monotonic()
        p.send_signal(sig)
        _, alive = psutil.wait_procs(kids, timeout=120)
        return time.monotonic() - t0, len(kids), len(alive)
    finally:
        for k in family(p.pid): k.kill()


def _rss(pid:int)->int:
    total = 0
    for q in family(pid):
        try: total += q.memory_info().rss
        except psutil.Error: pass
    return total


def page_loads(n:int, watch:float, clean:Path, models:Path):
    "Peak RSS and kernels of `movierec app` over n GETs without websocket, then after `watch` seconds."
    port = free_port()
    p = subprocess.Popen([BIN, 'app', '--no-browser', '--port', str(port), '--clean-dir', str(clean),
                          '--model-dir', str(models)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         start_new_session=True)
    out = Output(p)
    try:
        if not out.wait_for('serving http', 600): sys.exit(f'app did not start:\n{out.text}')
        kernels = lambda: sum(is_kernel(q) for q in family(p.pid))
        peak, peak_k, codes = _rss(p.pid), kernels(), {}
        for _ in range(n):
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=300) as r:
                    code = r.status
                    r.read()
            except urllib.error.HTTPError as e: code = e.code
            codes[code] = codes.get(code, 0) + 1
            peak, peak_k = max(peak, _rss(p.pid)), max(peak_k, kernels())
        end = time.monotonic() + watch
        while time.monotonic() < end:
            peak, peak_k = max(peak, _rss(p.pid)), max(peak_k, kernels())
            time.sleep(2)
        print(f'  {n} page loads without websocket: statuses {codes}; peak {peak / 2**30:.2f} GB, {peak_k} kernels; '
              f'{watch:.0f} s later: {kernels()} kernel(s), {_rss(p.pid) / 2**20:.0f} MB')
        print('  naive (a kernel per page load, never culled): about 380 MB per load, '
              f'{n} loads = {n * 0.38:.1f} GB held until the server stops')
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        try: p.wait(60)
        except subprocess.TimeoutExpired: os.killpg(p.pid, signal.SIGKILL)
        for k in family(p.pid): k.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--burners', type=int, default=2, help='busy-looping processes while stopping (default 2)')
    ap.add_argument('--loads', type=int, default=50, help='page loads without websocket (default 50)')
    ap.add_argument('--watch', type=float, default=90, help='seconds watched after the loads (default 90)')
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        clean, models = Path(d)/'clean', Path(d)/'models'
        subprocess.run([BIN, 'pipeline', '--no-report', '--raw-dir', str(SAMPLE), '--clean-dir', str(clean),
                        '--model-dir', str(models)], check=True, capture_output=True)
        burn = [subprocess.Popen([sys.executable, '-c', 'while 1: pass']) for _ in range(a.burners)]
        try:
            print(f'stop -> no process left (movierec pipeline --serve, {a.burners} CPU burners):')
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL):
                dt, n, left = stop_time(sig, clean, models)
                print(f'  {signal.Signals(sig).name:8s} {n} processes gone in {dt:.1f} s; left after 120 s: {left}')
        finally:
            for b in burn: b.kill()
        print('app kernels:')
        page_loads(a.loads, a.watch, clean, models)


if __name__ == '__main__': main()
