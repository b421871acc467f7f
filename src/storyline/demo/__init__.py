"""The project's own fictional news site, used by `storyline demo` and the end-to-end tests."""
