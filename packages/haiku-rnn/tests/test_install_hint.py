"""Without haiku-rnn's plugin, hk.LSTM says how to install it.

haiku-core's own tests check the message with a fake plugin site
(``test_plugins_errors.py``); here a fresh interpreter hides this package's
real entry point, as if haiku-rnn were not installed, while haiku-nets stays.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_lstm_names_its_distribution_when_haiku_rnn_is_missing():
    code = textwrap.dedent("""
        from importlib import metadata
        entry_points = metadata.entry_points

        def without_rnn(**kwargs):
            found = entry_points(**kwargs)
            return type(found)(ep for ep in found if not ep.value.startswith("haiku_rnn"))

        metadata.entry_points = without_rnn
        import haiku as hk
        assert hk.Linear.__name__ == "Linear"
        assert "Linear" in dir(hk) and "LSTM" not in dir(hk)
        for name in ("LSTM", "dynamic_unroll", "LSTMState"):
            try:
                getattr(hk, name)
            except AttributeError as e:
                print(type(e).__name__, e)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f'MissingPluginError hk.{name} is provided by the haiku-rnn distribution: '
        f'pip install "haiku[rnn]"'
        for name in ("LSTM", "dynamic_unroll", "LSTMState")
    ]
