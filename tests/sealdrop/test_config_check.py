"""`python -m sealdrop.config.check FILE`: what the Ansible app role validates its config with."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealdrop.config.check import main


def test_a_good_file_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "sealdrop.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\nsource_bind = "127.0.0.1:8080"\n'
        'source_onion = "example.onion"\nlanguages = ["en", "fr"]\n',
        encoding="utf-8",
    )
    assert main([str(config)]) == 0
    assert "a valid Sealdrop configuration" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('data_dir = "/srv/x"\nsource_bind = "0.0.0.0:80"\n', "SEALDROP_SOURCE_BIND must be"),
        ('data_dir = "/srv/x"\nsource_bnd = "127.0.0.1:80"\n', "SEALDROP_SOURCE_BND is not a"),
        ('source_bind = "127.0.0.1:80"\n', "SEALDROP_DATA_DIR is not set"),
        ("data_dir = \n", "is not valid TOML"),
    ],
)
def test_a_bad_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    config = tmp_path / "sealdrop.toml"
    config.write_text(text, encoding="utf-8")
    assert main([str(config)]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1, err


def test_a_missing_file_or_argument_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "absent.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main([]) == 2
