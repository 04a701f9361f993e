# Type stub of the lazy `haiku.testing` namespace.
from haiku._src.testing import transform_and_run as transform_and_run
