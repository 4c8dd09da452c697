from __future__ import annotations

import pytest

from config import load_settings
from config.schema import SETTINGS, env_variable, parse_duration
from core.errors import ConfigError


def test_environment_overrides_nested_keys():
    settings = load_settings(
        {"ORDERBRIDGE__JOBS__CHECK_CONNECTIONS__EVERY": "10s", "ORDERBRIDGE__WEB__PORT": "5050"}
    )
    assert settings.jobs.check_connections.every == "10s"
    assert settings.web.port == 5050


def test_database_defaults_to_sqlite_in_the_data_folder(tmp_path):
    settings = load_settings({"ORDERBRIDGE__DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'orderbridge.db'}"


def test_every_and_cron_together_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        load_settings({"ORDERBRIDGE__JOBS__CHECK_CONNECTIONS__CRON": "*/5 * * * *"})
    assert info.value.key == "jobs.check_connections"


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("ORDERBRIDGE__WEB__PORT", "abc", "web.port"),
        ("ORDERBRIDGE__MODE", "prod", "mode"),
        ("ORDERBRIDGE__JOBS__SYNC_ORDERS__EVERY", "5 minutes", "jobs.sync_orders.every"),
        ("ORDERBRIDGE__JOBS__SYNC_ORDERS__CRON", "every day", "jobs.sync_orders.cron"),
        ("ORDERBRIDGE__NO_SUCH__KEY", "1", "no_such.key"),
        ("ORDERBRIDGE__ERP", "oracle", "erp"),
    ],
)
def test_a_bad_value_names_its_key_in_one_line(variable, value, key):
    with pytest.raises(ConfigError) as info:
        load_settings({variable: value})
    assert info.value.key == key
    assert "\n" not in str(info.value)


def test_a_secret_in_a_yaml_file_is_refused_naming_the_key(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("connections:\n  ups:\n    client_secret: real-secret\n")
    with pytest.raises(ConfigError) as info:
        load_settings({"ORDERBRIDGE_CONFIG": str(path)})
    assert info.value.key == "connections.ups.client_secret"
    assert "ORDERBRIDGE__CONNECTIONS__UPS__CLIENT_SECRET" in str(info.value)
    assert "real-secret" not in str(info.value)


def test_a_secret_from_the_environment_is_taken_verbatim():
    settings = load_settings({"ORDERBRIDGE__CONNECTIONS__DHL__API_KEY": "00123"})
    assert settings.connections.dhl.api_key == "00123"


def test_sandbox_credentials_are_dropped_when_the_sandbox_is_off():
    settings = load_settings({"ORDERBRIDGE__SANDBOX__ENABLED": "false"})
    assert settings.connections.netsuite.token_secret is None
    assert settings.connections.netsuite.account == "123456_SB1"


def test_production_requires_a_secret_key():
    with pytest.raises(ConfigError) as info:
        load_settings({"ORDERBRIDGE__MODE": "production"})
    assert info.value.key == "secret_key"


def test_durations():
    assert parse_duration("10s") == 10
    assert parse_duration("5m") == 300
    assert parse_duration("1h") == 3600
    with pytest.raises(ValueError):
        parse_duration("0s")


def test_every_setting_has_a_meaning_for_the_readme():
    assert all(setting.meaning and setting.form for setting in SETTINGS)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2023_2", "2023_2"),
        ("true", True),
        ("False", False),
        ("42", 42),
        ("0.5", 0.5),
        ("on", "on"),
        ("null", None),
        ("10s", "10s"),
        ("007", 7),
    ],
)
def test_environment_values_read_as_plain_scalars(raw, value):
    from config.loader import _env_value

    assert _env_value("web.anything", raw) == value


def test_the_log_level_and_the_os_user_come_from_the_environment_with_defaults():
    from config import log_level, os_user

    assert (log_level({}), os_user({})) == ("INFO", "cli")
    assert log_level({"ORDERBRIDGE_LOG_LEVEL": "DEBUG"}) == "DEBUG"
    assert os_user({"USER": "maria"}) == "maria"


@pytest.mark.parametrize(
    "key,line",
    [
        ("mail.smtp_password", "smtp_password: hunter2"),
        ("mail.smtp_host", "smtp_host: smtp.example.com"),
        ("mail.smtp_user", "smtp_user: mailer"),
    ],
)
def test_the_mail_server_and_its_login_are_refused_from_a_yaml_file(tmp_path, key, line):
    path = tmp_path / "settings.yaml"
    path.write_text(f"mail:\n  {line}\n")
    with pytest.raises(ConfigError) as info:
        load_settings({"ORDERBRIDGE_CONFIG": str(path)})
    assert info.value.key == key
    assert env_variable(key) in str(info.value)
    assert line.split(": ")[1] not in str(info.value)


def test_the_mail_server_and_its_login_come_from_the_environment():
    settings = load_settings(
        {
            "ORDERBRIDGE__MAIL__SMTP_HOST": "smtp.example.com",
            "ORDERBRIDGE__MAIL__SMTP_USER": "mailer",
            "ORDERBRIDGE__MAIL__SMTP_PASSWORD": "0042",
        }
    )
    assert (settings.mail.smtp_host, settings.mail.smtp_password) == ("smtp.example.com", "0042")
