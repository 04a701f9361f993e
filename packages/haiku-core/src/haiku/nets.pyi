# Type stub of the lazy `haiku.nets` namespace (served by haiku-nets).
from haiku_nets._src.mlp import MLP as MLP
