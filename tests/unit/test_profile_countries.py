"""``countries.locale_data`` reads phonenumbers' country names without loading their package."""

from __future__ import annotations

import subprocess
import sys

from compiler.profile import countries


def test_locale_data_is_phonenumbers_own():
    from phonenumbers.geodata.locale import LOCALE_DATA

    assert countries.locale_data() == LOCALE_DATA
    assert countries.names()["polska"] == "PL" and countries.names()["belgique"] == "BE"


def test_country_names_do_not_load_the_place_names():
    code = ("import sys; from compiler.profile import countries; countries.names(); "
            "print('phonenumbers.geodata' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
