"""The LangChain chat model over a local transformers model (``hf:`` answerers).

Imported only when an ``hf:`` model is loaded (:func:`assistant.llms.hf._hf`), so importing
:mod:`assistant.llms` does not import LangChain or transformers.
"""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from assistant.llms.messages import _text_of


class HFChatModel(BaseChatModel):
    """Greedy generation with ``lm.generate``; streaming sends each piece to ``on_llm_new_token``."""

    model_name: str
    lm: Any
    tokenizer: Any
    max_new_tokens: int = 256
    max_time: float = 120.0

    @property
    def _llm_type(self) -> str:
        return "hf-transformers"

    def _get_ls_params(self, stop=None, **kwargs):
        params = super()._get_ls_params(stop=stop, **kwargs)
        params.update(
            ls_provider="huggingface",
            ls_model_name=kwargs.get("model") or self.model_name,
            ls_model_type="chat",
            ls_max_tokens=self.max_new_tokens,
            ls_temperature=0.0,
        )
        return params

    def _inputs(self, messages, stop=None) -> dict:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat = [{"role": roles.get(m.type, "user"), "content": _text_of(m.content)} for m in messages]
        encoded = self.tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        inputs = {
            "input_ids": encoded["input_ids"],
            "attention_mask": encoded.get("attention_mask"),
            "max_new_tokens": self.max_new_tokens,
            "max_time": self.max_time,
            "do_sample": False,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if stop:
            inputs.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        return inputs

    def _usage(self, inputs, output_tokens: int) -> dict:
        prompt = int(inputs["input_ids"].shape[1])
        return {"input_tokens": prompt, "output_tokens": output_tokens, "total_tokens": prompt + output_tokens}

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        import torch

        inputs = self._inputs(messages, stop)
        with torch.inference_mode():
            output = self.lm.generate(**inputs)
        new = output[0][inputs["input_ids"].shape[1] :]
        text = _cut(self.tokenizer.decode(new, skip_special_tokens=True), stop)
        message = AIMessage(
            content=text,
            usage_metadata=self._usage(inputs, len(new)),
            response_metadata={"model_name": self.model_name},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        inputs = self._inputs(messages, stop)
        produced = ""
        for piece in _stream_tokens(self.lm, self.tokenizer, inputs):
            combined = produced + piece
            produced = _cut(combined, stop)
            text = produced[len(combined) - len(piece) :]
            if text:  # langchain-core sends each chunk to the on_llm_new_token callbacks
                yield ChatGenerationChunk(message=AIMessageChunk(content=text))
            if len(produced) < len(combined):  # a stop sequence: the reply ends before it
                break
        tokens = len(self.tokenizer(produced, add_special_tokens=False)["input_ids"]) if produced else 0
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=self._usage(inputs, tokens),
                response_metadata={"model_name": self.model_name},
            )
        )


def _cut(text: str, stop) -> str:
    """``text`` up to the first stop sequence (LangChain's ``stop``: not included in the reply)."""
    for sequence in stop or []:
        at = text.find(sequence)
        if at >= 0:
            text = text[:at]
    return text


def _stream_tokens(lm, tokenizer, inputs: dict):
    """Decoded text pieces as ``lm.generate`` produces them (generation runs in a worker thread)."""
    import torch
    from transformers import TextIteratorStreamer

    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with torch.inference_mode():
                lm.generate(**inputs, streamer=streamer)
        except BaseException as exc:  # surfaced in the caller's thread
            errors.append(exc)
            streamer.end()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    for text in streamer:
        if text:
            yield text
    worker.join()
    if errors:
        raise errors[0]
