"""The course's shipped data, as the package ``softmax_lab.course_data`` (see pyproject.toml).

This folder is data, not code: the file only lets ``importlib.resources`` find it the same way in
a wheel and in an editable install (``softmax_lab.data.data_dir``). The build scripts beside it
(build.py, corpus.py, ...) are not part of the package.
"""
