"""Optional packages: imported on demand, or an ImportError that names the extra installing them.

``ml_dtypes`` (bfloat16 as a numpy dtype, one section of lesson 05) comes with the extra ``lab``
of softmax-lab, not with the package itself: a course author who only imports the math core does
not need it. :func:`optional_import` imports such a package, or raises an ImportError that says
which extra (or which package) to install, instead of a bare "No module named ...". A lesson
writes ``ml_dtypes = optional_import("ml_dtypes")`` where it would write ``import ml_dtypes``.
"""

import importlib

# package -> (the extra of softmax-lab that installs it, what it is used for)
OPTIONAL = {
    "ml_dtypes": ("lab", "bfloat16 (lesson 05, section 8)"),
}


def optional_import(name):
    """Import the optional package ``name``, or explain how to install it.

    Parameters
    ----------
    name : str
        One of the packages in :data:`OPTIONAL`.

    Raises
    ------
    ImportError
        The package is not installed; the message names it and the extra that installs it.

    Examples
    --------
    >>> optional_import("ml_dtypes").__name__
    'ml_dtypes'
    """
    if name not in OPTIONAL:
        raise ValueError(f"name must be one of the optional packages {sorted(OPTIONAL)}, got {name!r}")
    extra, purpose = OPTIONAL[name]
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ImportError(
            f"{purpose} needs the package {name}, which is not installed. Install it with "
            f"`pip install {name}`, or install the course with its extra [{extra}]: "
            f"`pip install 'softmax-lab[{extra}]'` (`make lab` does this in a clone)") from error
