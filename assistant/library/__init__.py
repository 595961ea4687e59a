"""Reading collections as users manage them: collections, documents, watching folders."""
