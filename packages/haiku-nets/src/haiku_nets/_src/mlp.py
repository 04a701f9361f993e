"""Multi-layer perceptron: :class:`MLP` (``hk.nets.MLP``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import haiku as hk
import jax

from haiku_nets._src.dropout import dropout
from haiku_nets._src.linear import Linear

__all__ = ["MLP"]


class MLP(hk.Module):
    """A stack of :class:`~haiku.Linear` layers with an activation in between.

    Layer ``i`` is named ``linear_i`` inside the MLP, so an ``MLP([300, 10])``
    owns ``mlp/~/linear_0`` and ``mlp/~/linear_1``:

    >>> mlp = hk.nets.MLP([300, 10])
    >>> mlp(jnp.ones([8, 784])).shape
    (8, 10)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'mlp/~/linear_0': {'b': (300,), 'w': (784, 300)}, 'mlp/~/linear_1': {'b': (10,), 'w': (300, 10)}}

    The activation follows every layer but the last (``activate_final=True``
    activates it too). With ``dropout_rate``, each activated layer's output is
    dropped out just before its activation, using keys drawn in turn from
    ``rng``:

    >>> mlp(jnp.ones([8, 784]), dropout_rate=0.5, rng=jax.random.PRNGKey(0)).shape
    (8, 10)
    """

    def __init__(
        self,
        output_sizes: Iterable[int],
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        with_bias: bool = True,
        activation: Callable[[jax.Array], jax.Array] = jax.nn.relu,
        activate_final: bool = False,
        name: str | None = None,
    ):
        """Constructs an MLP.

        Args:
          output_sizes: Sequence of layer sizes.
          w_init: Initializer for the :class:`~haiku.Linear` weights.
          b_init: Initializer for the :class:`~haiku.Linear` bias. Must be
            ``None`` if ``with_bias=False``.
          with_bias: Whether or not to apply a bias in each layer.
          activation: Activation function to apply between the layers.
            Defaults to ReLU.
          activate_final: Whether or not to activate the final layer too.
          name: Optional name for this module.

        Raises:
          ValueError: If ``with_bias`` is ``False`` and ``b_init`` is not
            ``None``.
        """
        if not with_bias and b_init is not None:
            raise ValueError("When with_bias=False b_init must not be set.")
        super().__init__(name=name)
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = b_init
        self.activation = activation
        self.activate_final = activate_final
        self.layers = tuple(
            Linear(output_size=size, w_init=w_init, b_init=b_init, with_bias=with_bias,
                   name=f"linear_{index}")
            for index, size in enumerate(output_sizes))
        self.output_size = self.layers[-1].output_size if self.layers else None

    def __call__(
        self,
        inputs: jax.Array,
        dropout_rate: float | None = None,
        rng: jax.Array | None = None,
    ) -> jax.Array:
        """Applies the layers to ``inputs`` of shape ``[batch_size, input_size]``.

        Args:
          inputs: The input, of shape ``[batch_size, input_size]`` (any leading
            dimensions are kept).
          dropout_rate: Optional dropout rate, applied after every layer that is
            activated.
          rng: RNG key, required exactly when ``dropout_rate`` is given.

        Returns:
          The output, of shape ``[batch_size, output_size]``.

        Raises:
          ValueError: If ``dropout_rate`` is given without ``rng``, or ``rng``
            without ``dropout_rate``.
        """
        if dropout_rate is not None and rng is None:
            raise ValueError("When using dropout an rng key must be passed.")
        if dropout_rate is None and rng is not None:
            raise ValueError("RNG should only be passed when using dropout.")
        keys = hk.PRNGSequence(rng) if rng is not None else None
        last = len(self.layers) - 1
        out = inputs
        for index, layer in enumerate(self.layers):
            out = layer(out)
            if index < last or self.activate_final:
                if keys is not None and dropout_rate is not None:
                    out = dropout(next(keys), dropout_rate, out)
                out = self.activation(out)
        return out

    def reverse(self, activate_final: bool | None = None, name: str | None = None) -> MLP:
        """Returns a new MLP mirroring this one, layer by layer.

        The reversed MLP maps this MLP's output size back to its input size:
        its layer sizes are the input sizes of this MLP's layers, last first.
        Those are only known once this MLP has been called:

        >>> mlp = hk.nets.MLP([3, 4, 5], name="encoder")
        >>> mlp_in = jnp.ones([1, 2])
        >>> y = mlp(mlp_in)
        >>> rev = mlp.reverse()
        >>> rev.name, [layer.output_size for layer in rev.layers]
        ('encoder_reversed', [4, 3, 2])
        >>> rev(y).shape == mlp_in.shape
        True

        The two MLPs share no parameters.

        Args:
          activate_final: Whether the reversed MLP activates its final layer;
            by default, as this MLP does.
          name: Name of the new module; by default this module's name followed
            by ``"_reversed"``.

        Returns:
          The reversed :class:`MLP`, with the same initializers, bias setting
          and activation.

        Raises:
          ValueError: If this MLP has not been called yet.
        """
        input_sizes = [layer.input_size for layer in reversed(self.layers)]
        output_sizes = tuple(size for size in input_sizes if size is not None)
        if len(output_sizes) != len(input_sizes):
            raise ValueError("You cannot reverse an MLP until it has been called.")
        if activate_final is None:
            activate_final = self.activate_final
        if name is None:
            name = self.name + "_reversed"
        return MLP(
            output_sizes=output_sizes,
            w_init=self.w_init,
            b_init=self.b_init,
            with_bias=self.with_bias,
            activation=self.activation,
            activate_final=activate_final,
            name=name,
        )
