# Type stub of the lazy `haiku.pad` namespace (served by haiku-nets).
from haiku_nets._src.pad import PadFn as PadFn
from haiku_nets._src.pad import causal as causal
from haiku_nets._src.pad import create as create
from haiku_nets._src.pad import create_from_padfn as create_from_padfn
from haiku_nets._src.pad import create_from_tuple as create_from_tuple
from haiku_nets._src.pad import full as full
from haiku_nets._src.pad import is_padfn as is_padfn
from haiku_nets._src.pad import reverse_causal as reverse_causal
from haiku_nets._src.pad import same as same
from haiku_nets._src.pad import valid as valid
