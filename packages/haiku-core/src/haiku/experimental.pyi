# Type stub of the lazy `haiku.experimental` namespace.
from haiku._src.config import check_jax_usage as check_jax_usage
from haiku._src.config import module_auto_repr as module_auto_repr
from haiku._src.config import rng_reserve_size as rng_reserve_size
from haiku._src.fast_eval import fast_eval_shape as fast_eval_shape
from haiku._src.optimize_rng import optimize_rng_use as optimize_rng_use
from haiku._src.shard_map import shard_map as shard_map

# dm-haiku 0.0.17 also exposes these here.
from haiku._src.layer_stack import LayerStackTransparencyMapping as LayerStackTransparencyMapping
from haiku._src.layer_stack import layer_stack as layer_stack
from haiku._src.lift import LiftWithStateUpdater as LiftWithStateUpdater
from haiku._src.lift import lift as lift
from haiku._src.lift import lift_with_state as lift_with_state
from haiku._src.lift import transparent_lift as transparent_lift
from haiku._src.lift import transparent_lift_with_state as transparent_lift_with_state
from haiku._src.naming import current_name as current_name
from haiku._src.naming import force_name as force_name
from haiku._src.naming import name_scope as name_scope
from haiku._src.module import name_like as name_like
from haiku._src.base import DO_NOT_STORE as DO_NOT_STORE
from haiku._src.base import get_current_state as get_current_state
from haiku._src.base import get_initial_state as get_initial_state
from haiku._src.base import get_params as get_params
from haiku._src.random_keys import maybe_get_rng_sequence_state as maybe_get_rng_sequence_state
from haiku._src.random_keys import replace_rng_sequence_state as replace_rng_sequence_state
from haiku._src.interception import GetterContext as GetterContext
from haiku._src.interception import MethodContext as MethodContext
from haiku._src.interception import custom_creator as custom_creator
from haiku._src.interception import custom_getter as custom_getter
from haiku._src.interception import intercept_methods as intercept_methods

# haiku-experimental's names (summaries, to_dot), from its public export module.
from haiku_experimental.hk_experimental import *
from haiku.experimental import jaxpr_info as jaxpr_info
# haiku-core: sharding over a mesh; stub in experimental/partitioning.pyi.
from haiku.experimental import partitioning as partitioning
# Provided by haiku-flax (pip install "haiku[flax]"); stub in experimental/flax.pyi.
from haiku.experimental import flax as flax

ParamContext = GetterContext  # dm-haiku's older name for it.
