"""The bundled sandboxes (healthcare, education, finance and the ``general`` template) as package data.

Installed as ``aulac_rag.sandboxes`` and read with :mod:`importlib.resources`
(:func:`aulac_rag.sandbox.bundled_dir`); each folder holds a sandbox, not Python code.
"""
