"""The one exception type the CLI turns into `Error: ...` and exit code 2.

Raise it for anything the user can fix (a path, a key, a value); the message must name the
file, the key and the fix, on one line.
"""


class HarnessError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


# every character str.splitlines() breaks at: a key or value quoted into a message must not
# turn its one line into two
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def one_line(message: str) -> str:
    """`message` with every line break written as its escape (\\n, \\r, \\u2028, ...)."""
    return message.translate(_LINE_BREAKS)
