# Type stub of the lazy `haiku.experimental.partitioning` namespace (served by
# haiku-core). It lives in a stub-only folder beside experimental.pyi; at run
# time haiku's namespace finder serves the module.
from haiku._src.partition_specs import check_specs as check_specs
from haiku._src.partition_specs import match_rules as match_rules
from haiku._src.partition_specs import named_shardings as named_shardings
from haiku._src.partition_specs import sharded_init as sharded_init
from haiku._src.logical_axes import LogicalAxesInit as LogicalAxesInit
from haiku._src.logical_axes import axis_rules as axis_rules
from haiku._src.logical_axes import constrain as constrain
from haiku._src.logical_axes import get_logical_axes as get_logical_axes
from haiku._src.logical_axes import logical_to_mesh as logical_to_mesh
from haiku._src.logical_axes import with_logical_axes as with_logical_axes
from haiku._src.stacked_axes import layers_axis as layers_axis
from haiku._src.stacked_axes import stacked_axis as stacked_axis
