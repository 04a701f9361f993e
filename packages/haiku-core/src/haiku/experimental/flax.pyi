# Type stub of the lazy `haiku.experimental.flax` namespace.
# Provided by haiku-flax (pip install "haiku[flax]").
from haiku_flax.hk_experimental_flax import *
