"""The application: everything that has a path. Image files and their formats (`formats`,
`io`), safe writing (`atomic`), one photo at a time (`files`), whole folders (`batch`) and
robustness reports (`bench`). Errors a user can cause come out as `errors.ImageError`, whose
message names the file, for the CLI to print as one line.
"""
