# Type stub of the lazy `haiku.pad` namespace (served by haiku-nets).
from haiku_nets.hk_pad import *
