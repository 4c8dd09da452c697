"""A REST 3PL warehouse: the template a new 3PL follows (see README.md for its wire shape)."""
