"""Optional packages: imported on demand, or an ImportError that names the extra installing them.

``ml_dtypes`` (bfloat16 as a numpy dtype, one section of lesson 05) comes with the extra ``lab``
of softmax-lab, not with the package itself: a course author who only imports the math core does
not need it. :func:`optional_import` imports such a package, or raises an ImportError that says
which extra (or which package) to install, instead of a bare "No module named ...". A lesson
writes ``from softmax_lab.extras import ml_dtypes`` where it would write ``import ml_dtypes``
(the module's ``__getattr__`` calls :func:`optional_import`), in the cell of the section that
needs it, so that only that section stops when the package is missing.
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


def __getattr__(name):
    """``from softmax_lab.extras import ml_dtypes``: :func:`optional_import` as an import statement.

    Only the packages in :data:`OPTIONAL` are attributes (imported when first asked for); any
    other name is an AttributeError, as for any module.

    Examples
    --------
    >>> from softmax_lab.extras import ml_dtypes
    >>> ml_dtypes.bfloat16.__name__
    'bfloat16'
    """
    if name in OPTIONAL:
        return optional_import(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
