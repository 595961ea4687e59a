"""Put the int8 reader's margins on the fp32 reader's scale: its ``int8_threshold`` in ``reader.json``.

Dynamic int8 quantisation lowers the reader's margins (span score - no-answer score): the abstention weights and
the short-answer floor (``assistant.answering.reading.SPAN_FLOOR``) were tuned on fp32 margins. This reads a seeded
sample of IDK-MRC *train* questions (not the validation split the figures are reported on) with each one's own
passage in both precisions and takes the median fp32 - int8 difference over the questions where either margin is
above -6 (where the floor and the thresholds act; far below, both say "no answer" and the gap is noise). The int8
threshold is the fp32 threshold minus that difference, so ``margin - threshold`` means the same in both.

    python -m benchmarks.reader_int8 [--sample 400] [--write]    # --write: store it in assistant/models/weights
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RELEVANT = -6.0


def margins(reader, examples) -> np.ndarray:
    """The reader's margin on each example's own passage (nan when it finds no span)."""
    out = []
    for ex in examples:
        span = reader.read(ex.question, [ex.context])[0]
        out.append(span.margin if span.text else np.nan)
    return np.array(out, dtype=float)


def offset(fp32: np.ndarray, int8: np.ndarray) -> tuple[float, int]:
    """Median fp32 - int8 margin over the pairs where either is above :data:`RELEVANT`; (offset, pairs used)."""
    keep = ~np.isnan(fp32) & ~np.isnan(int8) & ((fp32 > RELEVANT) | (int8 > RELEVANT))
    return float(np.median(fp32[keep] - int8[keep])), int(keep.sum())


def main(argv=None) -> None:
    from assistant.config import offline_environment

    offline_environment()
    from assistant.models.reader import CONFIG_FILE, WEIGHTS_DIR, load_reader
    from assistant.models.reader_data import load_squad

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "idk-mrc")
    ap.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    ap.add_argument("--sample", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write", action="store_true", help="store int8_threshold in the weights' reader.json")
    args = ap.parse_args(argv)
    train, _ = load_squad(args.data_dir / "train.json")
    examples = random.Random(args.seed).sample(train, args.sample)
    fp32_reader = load_reader(args.weights)
    fp32 = margins(fp32_reader, examples)
    int8 = margins(load_reader(args.weights, int8=True), examples)
    shift, used = offset(fp32, int8)
    both = ~np.isnan(fp32) & ~np.isnan(int8)
    threshold = fp32_reader.config.threshold - shift
    print(
        f"{args.sample} IDK-MRC train questions, {used} with a margin above {RELEVANT:g}: median fp32 - int8 margin "
        f"{shift:+.3f} (mean over all {both.sum()}: {np.mean(fp32[both] - int8[both]):+.3f}, correlation "
        f"{np.corrcoef(fp32[both], int8[both])[0, 1]:.3f}); int8 threshold {threshold:.3f} "
        f"(fp32 {fp32_reader.config.threshold:.3f})"
    )
    if args.write:
        path = args.weights / CONFIG_FILE
        config = json.loads(path.read_text())
        config["int8_threshold"] = round(threshold, 4)
        config["int8_calibration"] = {"sample": args.sample, "seed": args.seed, "pairs": used, "offset": shift}
        path.write_text(json.dumps(config, indent=2) + "\n")
        print(f"written to {path}")


if __name__ == "__main__":
    main()
