"""Settings: schema, embedded defaults and the loader (env overrides; secrets only from env)."""

from config.loader import Settings, ensure_secret_key, load_settings, log_level, os_user

__all__ = ["Settings", "ensure_secret_key", "load_settings", "log_level", "os_user"]
