# Type stub of the lazy `haiku.experimental.jaxpr_info` namespace (served by
# haiku-experimental). It lives in a stub-only folder beside experimental.pyi;
# at run time haiku's namespace finder serves the module.
from haiku_experimental.hk_experimental_jaxpr_info import *
