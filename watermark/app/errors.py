"""The one error a user's input can cause."""


class ImageError(Exception):
    """A file that cannot be read or written as asked; the message names the file."""
