"""The lessons, as the package ``softmax_lab.notebooks`` (see pyproject.toml).

This file only lets ``importlib.resources`` find the notebooks the same way in a wheel and in an
editable install; ``softmax-lab`` (softmax_lab/launch.py) copies them into a learner's folder.
"""
