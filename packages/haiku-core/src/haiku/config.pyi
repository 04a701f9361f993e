# Type stub of the lazy `haiku.config` namespace.
from haiku._src.config import context as context
from haiku._src.config import set as set
