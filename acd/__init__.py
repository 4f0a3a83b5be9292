"""acd: an automatic call distributor for Asterisk, driven over ARI."""

__version__ = "0.1.0"
