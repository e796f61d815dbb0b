"""Use cases: the web apps and the CLI reach the database, store and gpg through these."""
