"""Private implementation of haiku-core; the public names live in ``haiku``.

Keep this file empty: ``import haiku`` imports it, and it must stay cheap.
"""
