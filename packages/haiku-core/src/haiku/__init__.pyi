# Type stub of the lazy `haiku` namespace: the names that type checkers and
# IDEs see. At run time each name is served by the plugin that registers it
# (see haiku.plugins); tests/test_stubs.py keeps this file and the registry
# in step. haiku-core's own names are imported from the modules its table
# (_src/core_plugin.py) names.

from haiku import config as config
from haiku import data_structures as data_structures
from haiku import extend as extend
from haiku import experimental as experimental
from haiku import initializers as initializers
from haiku import mixed_precision as mixed_precision
from haiku import nets as nets
from haiku import pad as pad
from haiku import plugins as plugins
from haiku import testing as testing
from haiku._src.base import DO_NOT_STORE as DO_NOT_STORE
from haiku._src.interception import GetterContext as GetterContext
from haiku._src.interception import SetterContext as SetterContext
from haiku._src.naming import current_name as current_name
from haiku._src.base import get_current_state as get_current_state
from haiku._src.base import get_initial_state as get_initial_state
from haiku._src.base import get_parameter as get_parameter
from haiku._src.base import get_params as get_params
from haiku._src.base import get_state as get_state
from haiku._src.random_keys import maybe_get_rng_sequence_state as maybe_get_rng_sequence_state
from haiku._src.random_keys import maybe_next_rng_key as maybe_next_rng_key
from haiku._src.random_keys import next_rng_key as next_rng_key
from haiku._src.random_keys import next_rng_keys as next_rng_keys
from haiku._src.random_keys import replace_rng_sequence_state as replace_rng_sequence_state
from haiku._src.random_keys import reserve_rng_keys as reserve_rng_keys
from haiku._src.transform import running_init as running_init
from haiku._src.base import set_state as set_state
from haiku._src.random_keys import with_rng as with_rng
from haiku._src.deferred import Deferred as Deferred
from haiku._src.functions import multinomial as multinomial
from haiku._src.functions import one_hot as one_hot
from haiku._src.jax_usage import JaxUsageError as JaxUsageError
from haiku._src.interception import MethodContext as MethodContext
from haiku._src.interception import custom_creator as custom_creator
from haiku._src.interception import custom_getter as custom_getter
from haiku._src.interception import custom_setter as custom_setter
from haiku._src.interception import intercept_methods as intercept_methods
from haiku._src.layer_stack import LayerStackTransparencyMapping as LayerStackTransparencyMapping
from haiku._src.layer_stack import layer_stack as layer_stack
from haiku._src.lift import LiftWithStateUpdater as LiftWithStateUpdater
from haiku._src.lift import lift as lift
from haiku._src.lift import lift_with_state as lift_with_state
from haiku._src.lift import transparent_lift as transparent_lift
from haiku._src.lift import transparent_lift_with_state as transparent_lift_with_state
from haiku._src.module import Module as Module
from haiku._src.module import ModuleProtocol as ModuleProtocol
from haiku._src.module import SupportsCall as SupportsCall
from haiku._src.module import name_like as name_like
from haiku._src.module import to_module as to_module
from haiku._src.module import transparent as transparent
from haiku._src.naming import force_name as force_name
from haiku._src.naming import name_scope as name_scope
from haiku._src.rng import PRNGSequence as PRNGSequence
from haiku._src.control_flow import cond as cond
from haiku._src.stateful_transforms import eval_shape as eval_shape
from haiku._src.control_flow import fori_loop as fori_loop
from haiku._src.stateful_transforms import grad as grad
from haiku._src.control_flow import map as map
from haiku._src.stateful_transforms import remat as remat
from haiku._src.control_flow import scan as scan
from haiku._src.control_flow import switch as switch
from haiku._src.stateful_transforms import value_and_grad as value_and_grad
from haiku._src.stateful_transforms import vmap as vmap
from haiku._src.control_flow import while_loop as while_loop
from haiku._src.transform import MultiTransformed as MultiTransformed
from haiku._src.transform import MultiTransformedWithState as MultiTransformedWithState
from haiku._src.transform import Transformed as Transformed
from haiku._src.transform import TransformedWithState as TransformedWithState
from haiku._src.transform import multi_transform as multi_transform
from haiku._src.transform import multi_transform_with_state as multi_transform_with_state
from haiku._src.transform import transform as transform
from haiku._src.transform import transform_with_state as transform_with_state
from haiku._src.transform import with_empty_state as with_empty_state
from haiku._src.transform import without_apply_rng as without_apply_rng
from haiku._src.transform import without_state as without_state
from haiku._src.typing import MutableParams as MutableParams
from haiku._src.typing import MutableState as MutableState
from haiku._src.typing import Params as Params
from haiku._src.typing import State as State

# The official plugins' names, from each plugin's public export module (generated
# from its own table, so a plugin release that adds a name needs no haiku-core
# change). A plugin that is not installed contributes nothing.
from haiku_nets.hk import *  # haiku-nets: pip install "haiku[nets]"
from haiku_rnn.hk import *  # haiku-rnn: pip install "haiku[rnn]"
from haiku_experimental.hk import *  # haiku-experimental: pip install "haiku[experimental]"

__version__: str
