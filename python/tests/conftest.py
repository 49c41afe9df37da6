"""Shared helpers: the shared data folder and the hnn command, both optional."""
import os
import pathlib

import pytest


def data_dir():
    default = pathlib.Path(__file__).parents[2] / ".." / "shared" / "data"
    return pathlib.Path(os.environ.get("HNN_DATA_DIR", default))


@pytest.fixture
def shared_data():
    d = data_dir()
    if not d.is_dir():
        pytest.skip(f"shared data folder {d} is absent (set HNN_DATA_DIR)")
    return d


@pytest.fixture
def hnn_cli():
    cli = os.environ.get("HNN_CLI")
    if not cli or not os.access(cli, os.X_OK):
        pytest.skip("the hnn command is not built (HNN_CLI unset or not executable)")
    return cli
