"""The load benchmark as a smoke test: a short mixed concurrent load on a real `movierec serve` process gets only
the expected statuses (no timing is asserted)."""
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_short_mixed_load_has_no_errors(clean_dir, model_dir):
    r = subprocess.run([sys.executable, str(ROOT/'bench'/'api_load.py'), '--clean-dir', str(clean_dir), '--model-dir', str(model_dir),
                        '--rate', '50', '--duration', '3', '--concurrency', '8', '--no-naive'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'throughput' in r.stdout and 'errors 0 ' in r.stdout, r.stdout
    for route in ['recomendacion', 'movies/search', 'get_director', 'unknown title (404)']: assert route in r.stdout
