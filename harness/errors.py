"""The one exception type the CLI turns into `Error: ...` and exit code 2.

Raise it for anything the user can fix (a path, a key, a value); the message must name the
file, the key and the fix, on one line.
"""


class HarnessError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""
