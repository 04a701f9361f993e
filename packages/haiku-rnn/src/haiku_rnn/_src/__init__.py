"""Private implementation of haiku-rnn; the public names live in ``haiku``."""
