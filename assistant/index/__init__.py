"""Indexing: chunking, embeddings and their cache, Chroma, BM25, snapshots, sync."""
