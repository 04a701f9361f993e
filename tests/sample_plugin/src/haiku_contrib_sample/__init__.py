"""haiku-contrib-sample: a sample third-party plugin for haiku.

Its names are reached through haiku (``hk.contrib.ScaleByParameter``,
``hk.initializers.HalfOnes``), not by importing this package.
"""

from haiku_contrib_sample._version import __version__

__all__ = ["__version__"]
