"""The one exception type for user mistakes (bad files, bad options).

The CLI turns a :class:`SpecaeError` into a single line on stderr and exit code 2;
anything else is a bug and keeps its traceback.
"""


class SpecaeError(Exception):
    """A problem the user can fix: the message names the file and the problem."""
