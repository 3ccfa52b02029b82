"""The application: everything that has a path. Image files and their formats (`formats`,
`io`), safe writing (`atomic`), one photo at a time (`files`), whole folders (`tasks`, `batch`,
`report`, and `ray_engine` for a Ray cluster) and robustness reports (`bench`); the `wm batch`
commands (`batch_commands`) and the options all commands share (`options`). Errors a user can
cause come out as `errors.ImageError`, whose message names the file, for the CLI to print as
one line.
"""
