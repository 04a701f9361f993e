# Type stub of the lazy `haiku.experimental.flax` namespace.
# Provided by haiku-flax (pip install "haiku[flax]").
from haiku_flax._src.flatten import flatten_flax_to_haiku as flatten_flax_to_haiku
from haiku_flax._src.lift import lift as lift
from haiku_flax._src.module import Module as Module
