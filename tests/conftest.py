import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _shared_empty_tables_stay_empty():
    """Every empty abstract value shares one flow table and one field table; a write into either
    taints every empty value in the program (issue 7 found one: ``substitute``). Checked after
    every test, so any test that solves code catches the next such alias."""
    from privlint.solve import values

    yield
    assert not values._EMPTY_FLOWS, "a shared empty flow table was written into"
    assert not values._EMPTY_FIELDS, "a shared empty field table was written into"
    assert not values.EMPTY.tainted and not values.EMPTY.fields
