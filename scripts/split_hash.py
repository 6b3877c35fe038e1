"""The run-level split hash of tools/zoo/row_selection.cpp, for scripts that must pick the same
runs as dpa (scripts/compare-xgboost.py, scripts/bench-full-zoo.py)."""
M = (1 << 64) - 1


def mix(x):
    """splitmix64's finaliser."""
    x = (x + 0x9E3779B97F4A7C15) & M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)


def run_position(modeldir, seed):
    """A run's position in [0, 1): FNV-1a of its name mixed with the seed."""
    h = 1469598103934665603
    for c in modeldir.encode():
        h = ((h ^ c) * 1099511628211) & M
    return (mix(h ^ mix(seed)) >> 11) * 2.0 ** -53


def run_in_fold(modeldir, folds, fold, seed):
    """tools/zoo/row_selection.cpp run_in_fold."""
    return int(run_position(modeldir, seed) * folds) == fold
