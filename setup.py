"""Maps the top-level ``connectors/`` folder into the ``aulac_rag.connectors`` package."""

from setuptools import find_packages, setup

connector_packages = ["aulac_rag.connectors"] + [f"aulac_rag.connectors.{p}" for p in find_packages("connectors")]
setup(
    packages=find_packages(include=["aulac_rag", "aulac_rag.*"]) + connector_packages,
    package_dir={"aulac_rag.connectors": "connectors"},
)
