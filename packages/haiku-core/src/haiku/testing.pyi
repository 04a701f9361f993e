# Type stub of the lazy `haiku.testing` namespace.
from haiku._src.testing import transform_and_run as transform_and_run
from haiku._src.conformance import CONFORMANCE_CHECKS as CONFORMANCE_CHECKS
from haiku._src.conformance import ConformanceError as ConformanceError
from haiku._src.conformance import ConformanceReport as ConformanceReport
from haiku._src.conformance import ModuleExample as ModuleExample
from haiku._src.conformance import check_module as check_module
from haiku._src.conformance import conformance_examples as conformance_examples
from haiku._src.conformance import describe_tree as describe_tree
