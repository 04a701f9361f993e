# Type stub of the lazy `haiku.initializers` namespace.
from haiku._src.initializers import Constant as Constant
from haiku._src.initializers import Identity as Identity
from haiku._src.initializers import Initializer as Initializer
from haiku._src.initializers import Orthogonal as Orthogonal
from haiku._src.initializers import RandomNormal as RandomNormal
from haiku._src.initializers import RandomUniform as RandomUniform
from haiku._src.initializers import TruncatedNormal as TruncatedNormal
from haiku._src.initializers import UniformScaling as UniformScaling
from haiku._src.initializers import VarianceScaling as VarianceScaling
