"""Fake Hugging Face Hub and GitHub REST servers for the registry's tests.

The fakes speak the same HTTP routes as the real services so that production code (which uses
``huggingface_hub`` and plain HTTP clients) runs unchanged against them; only the base URLs differ
(``HF_ENDPOINT`` / ``GITHUB_API_URL``). See ``tests/fakes/README.md``.
"""
