"""Our chat-model class as LangChain users know it: LangChain's own standard suites
(``ChatModelUnitTests``, ``ChatModelIntegrationTests`` from ``langchain-tests``) on the local
``hf:`` model class with the real SmolLM2-135M, its streaming callbacks, and the LLM deadline
firing while a stream is stuck.

Cases the suite skips by itself, with its own reason, are the ones a 135M-parameter local text
model cannot do: tool calling and tool choice ("Test requires tool calling"), structured output
and JSON mode, image/PDF/audio/Anthropic-style inputs; besides those, per-call model override (the
class holds one loaded model: "model_override_value not specified") and the recorded-HTTP case
("VCR not set up": a local model makes no HTTP calls). Nothing else is skipped: 19 integration
cases and the unit cases pass.
"""

from __future__ import annotations

import threading

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def smollm2(request, tmp_path_factory):
    """(model, tokenizer) of hf:smollm2, converted once into pytest's cache folder."""
    from assistant.config import Settings
    from assistant.llms.hf import load_hf

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("hf"), models_dir=request.config.cache.mkdir("assistant-models")
    )
    lm, tokenizer = load_hf("smollm2", settings)
    lm.eval()
    return lm, tokenizer


class _SmolLM2:
    loaded: tuple | None = None

    @pytest.fixture(autouse=True)
    def _model(self, smollm2):
        type(self).loaded = smollm2

    @property
    def chat_model_class(self):
        from assistant.llms.hf import _hf_chat_class

        return _hf_chat_class()

    @property
    def chat_model_params(self) -> dict:
        lm, tokenizer = self.loaded
        return {"model_name": "smollm2", "lm": lm, "tokenizer": tokenizer, "max_new_tokens": 12}


class TestHFChatModelUnit(_SmolLM2, ChatModelUnitTests):
    pass


class TestHFChatModelIntegration(_SmolLM2, ChatModelIntegrationTests):
    pass


def test_hf_streaming_sends_every_token_to_the_callbacks(smollm2):
    from langchain_core.callbacks import BaseCallbackHandler

    from assistant.llms.hf import _hf_chat_class

    class Tokens(BaseCallbackHandler):
        def __init__(self):
            self.tokens: list[str] = []

        def on_llm_new_token(self, token, **kwargs):
            self.tokens.append(token)

    lm, tokenizer = smollm2
    model = _hf_chat_class()(model_name="smollm2", lm=lm, tokenizer=tokenizer, max_new_tokens=12)
    handler = Tokens()
    chunks = [c.content for c in model.stream("What is a library?", config={"callbacks": [handler]})]
    assert len([t for t in handler.tokens if t]) >= 3
    assert handler.tokens == chunks  # every chunk, as it is streamed


@pytest.fixture
def stuck_backend():
    """A chat model registered like a real backend whose stream sends one token, then hangs
    until the test ends (the stuck part is this fake; the deadline is the real code)."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    from assistant.llms import registry

    release = threading.Event()

    class Stuck(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "stuck"

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            release.wait()
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=""))])

        def _stream(self, messages, stop=None, run_manager=None, **kwargs):
            yield ChatGenerationChunk(message=AIMessageChunk(content="Menurut "))
            release.wait()

    registry.register("stuck", lambda model, settings: Stuck())
    yield release
    release.set()
    registry._REGISTRY.pop("stuck", None)


def test_deadline_fires_while_the_stream_is_stuck(stuck_backend, make_settings):
    from assistant.llms.registry import stream_text

    settings = make_settings(llm_timeout=1.0)
    received = []
    with pytest.raises(TimeoutError, match="within 1 s"):
        for delta in stream_text("stuck:model", settings, [("user", "hi")]):
            received.append(delta)
    assert received == ["Menurut "]
    assert not stuck_backend.is_set()  # it fired while the backend was still blocked


def test_stuck_llm_falls_back_to_the_extractive_answer(stuck_backend, indexed_settings):
    from assistant.service import Assistant

    settings = indexed_settings.model_copy(update={"llm_timeout": 2.0})
    answer = Assistant(settings).ask("Apa itu diplomasi siber?", llm="stuck:model")
    assert answer.llm == "extractive" and answer.citations
    assert any("TimeoutError" in note for note in answer.notes), answer.notes
    assert not stuck_backend.is_set()


def test_the_llm_answer_is_a_prompt_model_parser_chain(make_settings):
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from assistant.answering.prompts import answer_messages, answer_variables
    from assistant.llms.chain import chain
    from assistant.types import Chunk, Passage

    settings = make_settings(openai_base_url="http://127.0.0.1:9/v1")
    sequence = chain("answer", "openai:any-model", settings)
    assert isinstance(sequence.first, ChatPromptTemplate) and isinstance(sequence.last, StrOutputParser)
    assert type(sequence.middle[0]).__name__ == "ChatOpenAI"
    passages = [Passage(Chunk("c1", "a.md", "Teks {bukan variabel} bacaan.", 0, 29, {"title": "A"}), 1.0)]
    filled = sequence.first.format_messages(**answer_variables("Apa itu?", "id", passages))
    assert [m.content for m in filled] == [text for _, text in answer_messages("Apa itu?", "id", passages)]
    assert "{bukan variabel}" in filled[1].content  # passage text is data, never a template
