"""ferry: a config-as-code CRM migration compiler.

The pipeline, one module (or package) per stage, each importing only from the
stages before it::

    load -> validate -> model -> order -> sqlgen -> render -> write | run

``api`` joins the stages into commands and ``cli`` is the thin typer layer on
top. See ARCHITECTURE in the README.
"""

__version__ = "0.1.0"
