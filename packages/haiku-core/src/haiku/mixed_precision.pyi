# Type stub of the lazy `haiku.mixed_precision` namespace.
from haiku._src.mixed_precision import clear_policy as clear_policy
from haiku._src.mixed_precision import current_policy as current_policy
from haiku._src.mixed_precision import get_policy as get_policy
from haiku._src.mixed_precision import push_policy as push_policy
from haiku._src.mixed_precision import set_policy as set_policy
