"""`registry`: the registry's command-line client; it talks only to the public API."""
