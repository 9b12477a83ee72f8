"""The single-file route to production: ``scoring.py`` + the bundle, numpy only.

:func:`export_scorer` writes into one folder what a service needs to score with a
bundle and nothing of riskmodels installed: a copy of :mod:`riskmodels.scoring` (the
single file ``riskmodels/standalone/scoring.py`` generated from the package's modules;
numpy and the standard library only), the bundle file byte for byte, and a
short ``score_example.py`` that loads the bundle and scores its own example record.

Examples
--------
>>> import tempfile, pathlib
>>> from riskmodels import scoring
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> bundle = scoring.seal({"schema_version": 1, "kind": "identity", "name": "pd",
...     "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
...     "model": {"input": "pd"}, "calibration": [],
...     "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
>>> _ = (tmp / "scorer.json").write_bytes(scoring.dumps_bundle(bundle))
>>> [p.name for p in export_scorer(tmp / "scorer.json", tmp / "service")]
['scoring.py', 'scorer.json', 'score_example.py']
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from riskmodels.errors import ConfigError
from riskmodels.fileio import write_atomic
from riskmodels.scoring import load_scorer

EXAMPLE = '''"""Score with the exported bundle; needs only numpy (pip install numpy).

Run it from this folder: python score_example.py
"""
from pathlib import Path

from scoring import load_scorer

HERE = Path(__file__).resolve().parent
scorer = load_scorer(HERE / "{bundle}")   # checks the sha256 and the schema version
record = scorer.example()                 # one valid record: replace with yours
print(scorer)
print(scorer.score(record))               # pd, score, grade, reasons (and limit if the bundle has one)
# many records at once: a list of dicts or a dict of equal-length arrays
print(scorer.score([record, record])["pd"])
'''


def export_scorer(bundle, folder, *, overwrite: bool = False, verify_signature: bool = True) -> list[Path]:
    """Write ``scoring.py``, the bundle and ``score_example.py`` into ``folder``.

    Parameters
    ----------
    bundle : path of a scorer bundle (JSON); it is verified (hash, version) first.
    folder : the folder to write into; created if it does not exist.
    overwrite : replace files of the same names already in ``folder``.
    verify_signature : with no signing key set, a signed bundle is refused unless False.

    Returns
    -------
    list of Path : the files written, in the order above.

    Raises
    ------
    BundleError : the bundle is unreadable, tampered with or of an unknown version.
    ConfigError : a file would be replaced and ``overwrite`` is false, or ``folder`` is a file.
    """
    bundle = Path(bundle)
    load_scorer(bundle, verify_signature=verify_signature)  # refuse a bundle that production would refuse
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder")
    source = resources.files("riskmodels").joinpath("standalone", "scoring.py").read_bytes()
    files = {"scoring.py": source, bundle.name: bundle.read_bytes(),
             "score_example.py": EXAMPLE.format(bundle=bundle.name).encode("utf-8")}
    if bundle.name in ("scoring.py", "score_example.py"):
        raise ConfigError(f"the bundle's file name {bundle.name!r} clashes with the files written")
    targets = [folder / name for name in files]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not overwrite:
        raise ConfigError(f"{', '.join(existing)} already exist(s); pass overwrite=True "
                          "(--overwrite) to replace")
    folder.mkdir(parents=True, exist_ok=True)
    for target, data in zip(targets, files.values(), strict=True):
        write_atomic(target, data)
    return targets
