# Type stub of the lazy `haiku.nets` namespace (served by haiku-nets).
from haiku_nets.hk_nets import *
