# Type stub of the lazy `haiku.experimental` namespace.
from haiku._src.config import module_auto_repr as module_auto_repr
from haiku._src.config import rng_reserve_size as rng_reserve_size
