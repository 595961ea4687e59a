"""Retrieval: the hybrid retriever, fusion, cross-lingual expansion, rerank."""
