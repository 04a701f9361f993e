# Type stub of the lazy `haiku.data_structures` namespace.
from haiku._src.data_structures import filter as filter
from haiku._src.data_structures import is_subset as is_subset
from haiku._src.data_structures import map as map
from haiku._src.data_structures import merge as merge
from haiku._src.data_structures import partition as partition
from haiku._src.data_structures import partition_n as partition_n
from haiku._src.data_structures import to_haiku_dict as to_haiku_dict
from haiku._src.data_structures import to_immutable_dict as to_immutable_dict
from haiku._src.data_structures import to_mutable_dict as to_mutable_dict
from haiku._src.data_structures import traverse as traverse
from haiku._src.data_structures import tree_bytes as tree_bytes
from haiku._src.data_structures import tree_size as tree_size
