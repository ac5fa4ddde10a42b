"""Evidence sources: one module (or package, for the comb) per source, listed by :mod:`.registry`.

Importing this package imports nothing else: the measuring code (``comb``) is used by the
scoring and streaming modules of core, and the sources (``*.source``, :mod:`.registry`) stand
above them. See :mod:`.base` for what a source declares.
"""
