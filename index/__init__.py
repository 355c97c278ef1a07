"""The write side: sources -> articles -> passages -> embeddings -> FAISS + SQLite."""
