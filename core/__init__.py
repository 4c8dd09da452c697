"""Core: canonical records, errors, the store and the id map shared by every layer."""
