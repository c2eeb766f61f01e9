"""``qd play``'s numbers: guess latency on this CPU, and how early a CNN knows, with and without ``--partial``.

Run: ``python3 bench/bench_play.py [--epochs N]``. It builds a dataset of the offline mirror's largest
stroke sets (the mirror's whole files: eye 4,013, mouth 4,049, monkey 800 drawings), trains the CNN
twice on it with the same seed, once plainly and once with ``--partial`` (stroke prefixes too), then:

- latency: render + forward pass for one partial drawing (what the game does on each guess, through
  ``Classifier.top``), median and p95 over the test drawings' prefixes;
- how early it knows: each test drawing replayed stroke by stroke; the fraction of its strokes after
  which the top guess is right and stays right to the end (1.0: only the whole drawing, or never;
  median over drawings), and full-drawing accuracy, for both models on the same split.
Target (issue 17): latency well under 50 ms; the prefix-trained model recognises earlier at a
full-drawing accuracy within 1 point of the plain one.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MIRROR = (REPO / ".." / "shared" / "quickdraw").resolve()
REAL = ("eye", "mouth", "monkey")


def build(root: Path) -> Path:
    """A dataset folder of all the mirror's eye, mouth and monkey drawings."""
    from quickdraw.builder.subset import build as qd_build

    return qd_build(list(REAL), 4100, root / "real", mirror=str(MIRROR), quiet=True, allow_short=True, seed=0)


def earliest(classifier, strokes, truth: str) -> tuple[float, bool]:
    """(fraction of strokes after which the top guess is right and stays right, whole drawing right)."""
    right = [classifier.top(strokes[:k], 1)[0][0] == truth for k in range(1, len(strokes) + 1)]
    if not right[-1]:
        return 1.0, False
    first = len(right)
    while first > 1 and right[first - 2]:
        first -= 1
    return first / len(strokes), True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--drawings", type=int, default=300, help="test drawings replayed per model")
    args = parser.parse_args()
    from quickdraw.builder.folder import open_dataset
    from quickdraw.classifier import Classifier, train
    from quickdraw.formats.strokes import from_stroke3

    if not (MIRROR / "full" / "simplified" / "eye.ndjson").exists():
        sys.exit(f"the offline mirror {MIRROR} is needed")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        dataset = build(root)
        folder = open_dataset(dataset)
        print(f"dataset: {', '.join(folder.classes)} from the mirror; train {folder.count('train')}, "
              f"test {folder.count('test')}; {args.epochs} epochs each")
        models, tested = {}, {}
        for name, partial in (("plain", False), ("--partial", True)):
            start = time.perf_counter()
            tested[name] = train(dataset, root / name, epochs=args.epochs, verbose=0, seed=0, partial=partial)
            models[name] = Classifier(root / name)
            print(f"trained {name} in {time.perf_counter() - start:.0f} s: test accuracy "
                  f"{tested[name]['accuracy']:.1%} on all {tested[name]['examples']} test drawings")
        labels, sequences = folder.labels("test"), folder.strokes3("test")
        picks = np.random.default_rng(0).permutation(len(labels))[:args.drawings]
        drawings = [(from_stroke3(sequences[i]), folder.classes[labels[i]]) for i in picks]
        times = []
        classifier = models["plain"]
        for strokes, _ in drawings[:100]:
            for k in range(1, len(strokes) + 1):
                start = time.perf_counter()
                classifier.top(strokes[:k], 3)
                times.append(1000 * (time.perf_counter() - start))
        print(f"guess latency (render + forward pass, {len(times)} partial drawings): median "
              f"{np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms")
        for name, model in models.items():
            results = [earliest(model, strokes, truth) for strokes, truth in drawings if len(strokes) > 1]
            fractions = [f for f, _ in results]
            accuracy = np.mean([ok for _, ok in results])
            print(f"{name:10} knows after a median {np.median(fractions):.0%} of the strokes "
                  f"(mean {np.mean(fractions):.0%}); full-drawing accuracy {accuracy:.1%} "
                  f"({len(results)} test drawings of 2+ strokes)")


if __name__ == "__main__":
    main()
