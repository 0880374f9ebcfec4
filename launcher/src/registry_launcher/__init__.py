"""The launcher: the whole registry in one process (embedded mode, `make run`).

It is the only package that imports the services; they never import each other."""
