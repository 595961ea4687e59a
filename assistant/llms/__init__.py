"""Chat models (LangChain) by name: a registry and one module per backend."""
