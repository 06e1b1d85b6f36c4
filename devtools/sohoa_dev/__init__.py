"""Tools for developing sohoa, kept out of the shipped package (``pip wheel .`` holds none of it).

* ``synth``: our page, form and ID-card generator (training data, tests, ``bench/``);
* ``evaluation``: character and mark error rates, field scores;
* ``postgres``: a throw-away PostgreSQL server for the index tests.

Installed by ``scripts/setup.sh`` with the ``dev`` extra (``pip install -e devtools``), the way
pyHanko keeps its test utilities in a package of their own. No ``ocr_service`` module imports it.
"""
